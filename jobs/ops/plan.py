"""The shape of the pipeline as the DAGs see it: channels, steps, writer pools and assets.

Pure and light (YAML only): DAG files import it at parse time.
"""

from __future__ import annotations

from functools import lru_cache

#: Landing channels (``landing_<channel>`` in the catalogue), ingested in parallel.
CHANNELS: tuple[str, ...] = ("phone", "online", "grid", "opinion", "event")

#: step name → (module, function) of the agreed entry point (see the brief's contract).
STEPS: dict[str, tuple[str, str]] = {
    "ingest": ("jobs.ingest", "run"),
    "standardise": ("jobs.standardise", "run"),
    "quality": ("jobs.quality", "run"),
    "indicators": ("jobs.indicators", "run"),
    "pii_scan": ("jobs.privacy", "run_scan"),
    "publish": ("jobs.publish", "run"),
    # models and insight (minsheng_daily scores and warns; minsheng_models retrains; minsheng_weekly reports)
    "score": ("models.classify.score", "run"),
    "warnings": ("models.warning.job", "run"),
    "train_classifiers": ("models.classify.train", "run"),
    "forecast": ("models.forecast.job", "run_history"),
    "cases": ("models.cases.job", "run"),
    "weekly_report": ("jobs.report.weekly", "run"),
}

#: step → the catalogue ``owner`` of the tables it writes.
STEP_OWNER = {"ingest": "ingest", "standardise": "standardise", "quality": "quality",
              "indicators": "indicators", "pii_scan": "privacy", "publish": "publish",
              "score": "models.classify", "warnings": "models.warning", "train_classifiers": "models.common",
              "forecast": "models.forecast", "cases": "models.cases",
              # the weekly report writes no lake table, only the report under the publish bucket
              "weekly_report": "report"}

#: Exceptions that mean "the data is wrong", not "the machine hiccuped": never retried.
NOT_RETRYABLE = ("jobs.quality.QualityGateError", "jobs.privacy.PiiLeakError")


def pool_for(step: str, channel: str | None = None) -> str:
    """The Airflow pool (size 1) of the Delta tables a step writes.

    Every Delta table has exactly one writing step (its catalogue ``owner``), so one pool per writer
    serialises all writes to its tables across ``minsheng_daily`` and ``minsheng_backfill``.

    Ingest fans out per channel, but every channel also MERGEs into the shared ingest tables
    (``quarantine``, ``bronze_raw_text``, ``ops_ingest_log``, ``ops_ingested_file``) on the same ``dt``
    partitions — concurrent MERGEs there conflict in Delta — so the channel tasks share the one
    ``delta_ingest`` pool: they run one at a time, in any order. ``PER_CHANNEL_INGEST_POOLS`` switches to
    one pool per channel once those shared tables are written conflict-free (partitioned by channel).
    """
    if step not in STEPS:
        raise ValueError(f"unknown step {step!r}; known: {', '.join(STEPS)}")
    if channel and PER_CHANNEL_INGEST_POOLS:
        return f"delta_{step}_{channel}"
    return f"delta_{step}"


#: See ``pool_for``: False while the ingest channels share bookkeeping tables.
PER_CHANNEL_INGEST_POOLS = False


def all_pools() -> list[str]:
    """Every pool the DAGs use (``infra/airflow.sh`` creates them with one slot each)."""
    names = [pool_for("ingest", ch) for ch in CHANNELS] + [pool_for(s) for s in STEPS if s != "ingest"]
    return list(dict.fromkeys(names))


@lru_cache(maxsize=1)
def _specs():
    from jobs.common.catalogue import _load_specs

    return _load_specs()


def tables_written(step: str, channel: str | None = None) -> list[str]:
    """Catalogue tables owned by the step (for ingest: those naming the channel, if any do)."""
    owner = STEP_OWNER[step]
    names = sorted(n for n, s in _specs().items() if s.owner == owner and s.layer not in ("landing", "ground_truth"))
    if channel:  # the channel's own tables plus those every channel writes (quarantine, file log…)
        return [n for n in names if channel in n.split("_") or not set(CHANNELS) & set(n.split("_"))]
    return names


def asset_uri(table: str) -> str:
    """The asset URI of a lake table: ``x-minsheng://lake/<layer>/<table>`` (profile-independent)."""
    spec = _specs()[table]
    return f"x-minsheng://lake/{spec.layer}/{table}"


if __name__ == "__main__":  # `python -m jobs.ops.plan pools` is how infra/airflow.sh learns the pools
    import sys

    if sys.argv[1:] == ["pools"]:
        print("\n".join(all_pools()))
    else:
        raise SystemExit("usage: python -m jobs.ops.plan pools")

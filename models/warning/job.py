"""Daily early-warning job: dwd_work_order → gold_early_warning (+ scoring against gt_incidents)."""

from __future__ import annotations

import datetime as dt
import json
import logging
from typing import Any

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from jobs.common.config import Settings
from models.cases import text as case_text
from models.forecast.series import LEVELS, daily_counts, valid_orders
from models.warning.detect import (
    HISTORY_DAYS,
    PARENT,
    SEASONAL_LEVELS,
    TEXT_DROP,
    YEAR_DAYS,
    WarningConfig,
    detect,
    episodes,
    new_text,
)

log = logging.getLogger(__name__)

WARNING_LEVELS = ("street_l3", "district_l2", "city_l3")
TABLE = "gold_early_warning"
#: days of history read before the first warned day: the day itself and the HISTORY_DAYS its windows reach back
LOOKBACK_DAYS = HISTORY_DAYS + 1
#: history the seasonal levels (city L3) read: a year more, to compare with themselves a year before
SEASONAL_LOOKBACK_DAYS = LOOKBACK_DAYS + YEAR_DAYS


def compute(orders: DataFrame, date_from: dt.date, date_to: dt.date, cfg: WarningConfig | None = None,
            levels: tuple[str, ...] = WARNING_LEVELS) -> DataFrame:
    """Warnings (with evidence and status) for each day in ``[date_from, date_to]``.

    Args:
        orders: ``dwd_work_order`` rows (needs ``accept_date``, ``accept_time``, place and category
            codes, ``title``, ``content_redacted``); days from ``date_from - LOOKBACK_DAYS`` are used as
            history, and from ``date_from - SEASONAL_LOOKBACK_DAYS`` for the city L3 (when there).
    """
    cfg = cfg or WarningConfig()
    start = date_from - dt.timedelta(days=LOOKBACK_DAYS)
    found = None
    grids: dict[str, DataFrame] = {}
    seasonal = set(SEASONAL_LEVELS) | {PARENT[lv][0] for lv in SEASONAL_LEVELS}

    def grid(level: str) -> DataFrame:
        if level not in grids:
            first = start - dt.timedelta(days=YEAR_DAYS) if level in seasonal else start
            grids[level] = daily_counts(orders, level, first, date_to)
        return grids[level]

    for level in levels:
        part = detect(grid(level), cfg, date_from, date_to, parent=grid(PARENT[level][0]), level=level)
        found = part if found is None else found.unionByName(part)
    recent = orders.where(F.col("accept_date") >= F.lit(start))
    found = found.unionByName(new_text(text_documents(recent), cfg, date_from, date_to),
                              allowMissingColumns=True)
    # few rows, costly to find (every order's 4-grams are cut): cached, because with_evidence reads them
    # twice and each read would run the detectors again
    eps = episodes(found).cache()
    return with_evidence(eps, recent, levels)


def text_documents(orders: DataFrame) -> DataFrame:
    """The input of :func:`models.warning.detect.new_text`: valid orders with the 4-gram terms of their
    title and redacted text (digits and Latin letters left out).

    Place names stay in: a street's name comes from one street, and a new text must come from several.
    (Removing them, as the 类案 terms do, costs a match against thousands of names per order, which
    nearly tripled the time of this step: 41 s against 15 s for 60 k orders.)
    """
    docs = valid_orders(orders).select(
        F.col("accept_date").alias("ds"), "street_code", F.col("category_l3_code").alias("category_code"),
        "accept_time", F.coalesce("content_redacted", "title", F.lit("")).alias("example"),
        case_text.order_text().alias("text"))
    return case_text.shingles(docs, n=4, out_col="terms", drop=TEXT_DROP).drop("text")


def with_evidence(warnings: DataFrame, orders: DataFrame, levels: tuple[str, ...]) -> DataFrame:
    """Add up to three redacted example texts of the warned series and day, and the evidence JSON.

    A new-text warning (``term`` set) keeps its own examples, the orders that carry the term.
    """
    examples = None
    for level in levels:
        keys = LEVELS[level]
        key_expr = F.concat_ws("|", *[F.coalesce(F.col(k).cast("string"), F.lit("NA")) for k in keys])
        text = F.coalesce(F.col("content_redacted"), F.col("title"), F.lit(""))
        part = orders.select(
            F.lit(level).alias("level"), key_expr.alias("series_key"), F.col("accept_date").alias("warn_date"),
            F.struct(F.col("accept_time"), F.substring(text, 1, 120).alias("t")).alias("ex"),
        )
        examples = part if examples is None else examples.unionByName(part)
    w = warnings.select("level", "series_key", "warn_date").distinct()
    picked = examples.join(w, ["level", "series_key", "warn_date"]).groupBy("level", "series_key", "warn_date").agg(
        F.transform(F.slice(F.array_sort(F.collect_list("ex")), 1, 3), lambda s: s["t"]).alias("examples")
    )
    out = warnings.join(picked, ["level", "series_key", "warn_date"], "left")
    for name, kind in (("term", "string"), ("term_examples", "array<string>")):
        if name not in out.columns:   # warnings of the count series only
            out = out.withColumn(name, F.lit(None).cast(kind))
    parts = F.split("series_key", r"\|")
    one = F.size(parts) == 1
    # Rounded: a float's 16 fraction digits are, to a PII scanner, a bank card number.
    evidence = F.to_json(F.struct(
        F.round("count", 4).alias("count"), F.round("baseline", 4).alias("baseline"),
        F.round("sigma", 4).alias("sigma"), F.round("z", 4).alias("z"), F.col("recent14").alias("last_14_days"),
        F.col("term"),
    ))
    return out.select(
        "warn_date",
        # "w" + 16 hex: never an all-digit run a PII scanner would take for a bank card
        F.concat(F.lit("w"), F.sha2(F.concat_ws("|", "kind", "level", "series_key",
                                                 F.col("warn_date").cast("string")), 256).substr(1, 16))
        .alias("warning_id"),
        "episode_id", "kind", "level", "series_key",
        F.when(one, F.lit(None)).otherwise(parts.getItem(0)).alias("place_code"),
        F.when(one, parts.getItem(0)).otherwise(parts.getItem(1)).alias("category_code"),
        F.col("count").cast("double").alias("count"), F.col("baseline").cast("double").alias("baseline"),
        F.col("sigma").cast("double").alias("sigma"), F.col("z").cast("double").alias("z"),
        F.col("score").cast("double").alias("score"),
        evidence.alias("evidence_json"),
        F.coalesce(F.col("term_examples"), F.col("examples"), F.array().cast("array<string>")).alias("examples"),
        "status",
    )


def run(date_from: dt.date, date_to: dt.date, settings: Settings | None = None) -> dict[str, Any]:
    """Compute the warnings of ``[date_from, date_to]`` in one Spark job, replace those days in
    ``gold_early_warning``, and — when ``gt_incidents`` exists (synthetic city) — score them and log
    recall / precision / median lead time to MLflow.
    """
    from jobs.common import delta
    from jobs.common.catalogue import Catalogue
    from jobs.common.session import get_spark

    cat = Catalogue(settings)
    spark = get_spark(cat.settings, app_name="minsheng-warn")
    cfg = WarningConfig()
    orders = cat.read(spark, "dwd_work_order").where(
        F.col("accept_date").between(F.lit(date_from - dt.timedelta(days=SEASONAL_LOOKBACK_DAYS)), F.lit(date_to))
    )
    warnings = compute(orders, date_from, date_to, cfg).cache()
    n = warnings.count()
    delta.overwrite(warnings, cat, TABLE,
                    replace_where=f"warn_date >= '{date_from.isoformat()}' AND warn_date <= '{date_to.isoformat()}'")
    summary: dict[str, Any] = {"table": TABLE, "rows": n, "version": delta.current_version(spark, cat, TABLE),
                               "date_from": date_from.isoformat(), "date_to": date_to.isoformat()}
    if cat.exists(spark, "gt_incidents"):
        from models.warning.evaluate import score

        # incidents are scored from the first day with a full history window in the data
        first_data = orders.agg(F.min("accept_date")).first()[0] or date_from
        eval_from = max(date_from, first_data + dt.timedelta(days=LOOKBACK_DAYS))
        metrics = score(cat.read(spark, TABLE), cat.read(spark, "gt_incidents"), eval_from, date_to, warmup_days=0)
        summary["evaluation"] = metrics
        _log_mlflow(cat.settings, cfg, metrics, summary)
    warnings.unpersist()
    log.info("warnings: %s", json.dumps(summary, default=str, ensure_ascii=False))
    return summary


def _log_mlflow(settings: Settings, cfg: WarningConfig, metrics: dict, summary: dict) -> None:
    import mlflow

    from models.common import tracking

    client = tracking.configure(settings)
    exp = tracking.ensure_experiment(client, settings, "warning", "planted_incidents")
    with mlflow.start_run(experiment_id=exp, run_name=f"warn {summary['date_from']}..{summary['date_to']}"):
        mlflow.log_params(cfg.as_dict())
        mlflow.log_metrics({k: float(v) for k, v in metrics.items() if isinstance(v, (int, float))})
        mlflow.log_dict(metrics, "evaluation.json")

"""Benchmark: a whole order history through bronze → silver → gold, step by step (not a test).

    .venv/bin/python bench/history_bench.py --landing <landing folder> --lake <scratch lake> \\
        --from 2023-01-01 --to 2023-12-31 [--chunk-days 0] [--tag 10m] [--resume]

It runs what ``minsheng_backfill`` runs, with the same code (``jobs.ops.tasks.step_chunks`` and
``run_step``, as ``run_range`` calls them: each step over the whole range in consecutive chunks, calendar
months by default, in one Spark session), but without the scheduler around it: ingest per channel, standardise, the quality gate, indicators. Each
step is a process of its own, as an Airflow task is, and is measured from the outside: wall seconds
(JVM start included) and the peak resident set of its process tree (driver JVM + Python workers),
sampled every 0.5 s. The step's own per-chunk seconds and row counts come from its summary.

The lake is the one given (reference data are loaded into it when missing), so a run that was stopped
can go on with ``--resume``: every chunk a step finishes is recorded (its seconds and rows) the moment it
finishes, and a resumed step starts at the chunk after the last recorded one — in a new process, whose
wall time and peak memory are recorded as a further attempt of the same step. Results go to
``bench/results/history_<tag>.json`` after every chunk, so a long run leaves its figures as it goes.
The Spark settings are the profile's plus ``MINSHENG_SPARK_CONF``; the machine is whatever it is — the
file records the cores and the load average at the end of each step.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import time
from pathlib import Path

from measure import run_measured, stats_line

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
CHANNELS = ("phone", "online", "grid", "opinion", "event")

CHILD = """
import json, logging, sys
from jobs.ops.days import parse_day
from jobs.ops.tasks import run_step, step_chunks
logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
step, a, b, chunk, channel = sys.argv[1:6]
# what run_range does (one session, chunks in time order), reporting each chunk as it finishes
for lo, hi in step_chunks(step, parse_day(a), parse_day(b), int(chunk)):
    r = run_step(step, lo, hi, channel=channel or None)
    print("CHUNK " + json.dumps(r, ensure_ascii=False, default=str), flush=True)
"""

COUNT_CHILD = """
import json
from jobs.common.catalogue import Catalogue
from jobs.common.session import get_spark
cat = Catalogue()
spark = get_spark(cat.settings, app_name="bench-history-count")
out = {}
for name in ("bronze_phone", "bronze_online", "bronze_grid", "bronze_opinion", "bronze_event", "quarantine",
             "dwd_work_order", "dwd_work_order_event", "ads_hotline_indicator"):
    if cat.exists(spark, name):
        out[name] = {"rows": cat.read(spark, name).count(),
                     "bytes": spark.sql(f"DESCRIBE DETAIL delta.`{cat.location(name)}`").first()["sizeInBytes"]}
print("STATS " + json.dumps(out))
"""


def _chunk_rows(step: str, summary: dict) -> dict[str, int]:
    """The row counts a step's chunk summary reports."""
    totals: dict[str, int] = {}
    if step == "ingest":
        for ch in summary.get("channels", {}).values():
            for k in ("rows_read", "rows_accepted", "rows_quarantined", "files_ingested", "files_skipped"):
                totals[k] = totals.get(k, 0) + int(ch.get(k, 0))
    else:  # the integers a summary reports at its top level or under "rows"
        for k, v in [*summary.items(), *(summary.get("rows") or {}).items()]:
            if isinstance(v, int) and not isinstance(v, bool):
                totals[k] = totals.get(k, 0) + v
        for table in ("events", "orders"):  # standardise: its two MERGEs' Delta metrics
            metrics = summary.get(f"{table}_merged") or {}
            for k in MERGE_METRICS:
                if k in metrics:
                    totals[f"{table}_{k}"] = totals.get(f"{table}_{k}", 0) + int(metrics[k])
    return totals


#: The Delta MERGE metrics a standardise chunk is recorded with.
MERGE_METRICS = ("numSourceRows", "numTargetRowsInserted", "numTargetRowsUpdated", "numTargetFilesAdded",
                 "numTargetFilesRemoved")


def _sum_rows(chunks: list[dict]) -> dict[str, int]:
    totals: dict[str, int] = {}
    for c in chunks:
        for k, v in c["rows"].items():
            totals[k] = totals.get(k, 0) + v
    return totals


def summarise(entry: dict) -> None:
    """A step's totals over its attempts (wall time, peak memory) and its chunks (seconds, rows)."""
    attempts, chunks = entry["attempts"], entry["chunks"]
    entry.update({"wall_seconds": round(sum(a["wall_seconds"] for a in attempts), 1),
                  "step_seconds": round(sum(c["seconds"] for c in chunks), 1),
                  "peak_rss_bytes": max(a["peak_rss_bytes"] for a in attempts), "rows": _sum_rows(chunks)})


def _commit() -> str | None:
    """The code an attempt runs (a resumed step may span commits): HEAD, marked when the tree is dirty."""
    import subprocess

    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                              check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "jobs"], cwd=ROOT, capture_output=True,
                               text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None
    return head + ("+dirty" if dirty else "")


def measure_step(step: str, channel: str | None, entry: dict, args: argparse.Namespace, env: dict[str, str],
             save) -> None:
    """Run (or go on with) one step; ``entry`` is its record, updated and saved after every chunk."""
    chunks = entry.setdefault("chunks", [])
    start = args.date_from
    if chunks:
        start = (dt.date.fromisoformat(chunks[-1]["to"]) + dt.timedelta(days=1)).isoformat()
    if start > args.date_to:
        entry["done"] = True
        return

    t0 = time.time()
    attempt = {"from": start, "started_at": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
               "commit": _commit(), "wall_seconds": 0.0, "peak_rss_bytes": 0, "exit_code": None}
    entry.setdefault("attempts", []).append(attempt)

    def on_line(line: str, peak_rss: int) -> None:
        if line.startswith("CHUNK "):
            r = json.loads(line[6:])
            chunks.append({"from": r["date_from"], "to": r["date_to"], "seconds": r["seconds"],
                           "rows": _chunk_rows(step, r["summary"])})
            # so far: a run stopped before the step ends still leaves its time and memory up to here
            attempt.update(wall_seconds=round(time.time() - t0, 1), peak_rss_bytes=peak_rss)
            summarise(entry)
            save()

    cmd = [sys.executable, "-c", CHILD, step, start, args.date_to, str(args.chunk_days), channel or ""]
    m = run_measured(cmd, env=env, cwd=str(ROOT), on_line=on_line)
    attempt.update(wall_seconds=m.wall_seconds, peak_rss_bytes=m.peak_rss_bytes, exit_code=m.returncode,
                   load_average_1m_at_end=round(os.getloadavg()[0], 1),
                   finished_at=dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))
    summarise(entry)
    save()
    if m.returncode != 0:
        raise SystemExit(f"{step}{' ' + channel if channel else ''} failed (exit {m.returncode}); "
                         f"the figures so far are in {args.results}")
    entry["done"] = True
    save()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--landing", required=True, help="landing zone written by `minsheng generate`")
    ap.add_argument("--lake", required=True, help="lake folder (created; reference data loaded when missing)")
    ap.add_argument("--from", dest="date_from", required=True)
    ap.add_argument("--to", dest="date_to", required=True)
    ap.add_argument("--chunk-days", type=int, default=0, help="days per chunk; 0 = calendar months")
    ap.add_argument("--steps", nargs="+", default=["ingest", "standardise", "quality", "indicators"],
                    help="in order; ingest means its five channels, ingest:CHANNEL one of them")
    ap.add_argument("--tag", default="history")
    ap.add_argument("--resume", action="store_true", help="keep the steps already recorded for this lake and range")
    args = ap.parse_args()
    args.results = RESULTS / f"history_{args.tag}.json"
    lake = Path(args.lake).resolve()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "MINSHENG_LAKE_URI": str(lake),
           "MINSHENG_LANDING_URI": str(Path(args.landing).resolve()),
           "MINSHENG_WORK_URI": os.environ.get("MINSHENG_WORK_URI", str(lake.parent / "work"))}
    run = {"landing": env["MINSHENG_LANDING_URI"], "lake": str(lake), "date_from": args.date_from,
           "date_to": args.date_to, "chunk_days": args.chunk_days, "cpu_count": os.cpu_count(),
           "spark_conf_override": os.environ.get("MINSHENG_SPARK_CONF", ""),
           "profile": os.environ.get("MINSHENG_PROFILE", "local"), "steps": {}}
    if args.resume and args.results.exists():
        old = json.loads(args.results.read_text())
        if all(old.get(k) == run[k] for k in ("lake", "date_from", "date_to", "chunk_days")):
            # a step recorded by an earlier version of this script (no "done" mark) was recorded complete
            run["steps"] = {k: {**v, "done": v.get("done", True)} for k, v in old.get("steps", {}).items()}
    args.results.parent.mkdir(parents=True, exist_ok=True)

    if not (lake / "ref").exists():
        m = run_measured([sys.executable, "-m", "jobs.cli", "reference", "load"], env=env, cwd=str(ROOT))
        if m.returncode != 0:
            raise SystemExit("reference load failed")

    def save() -> None:
        args.results.write_text(json.dumps(run, indent=1, ensure_ascii=False) + "\n")

    # "ingest" is one step per channel (as the backfill's tasks are); "ingest:grid" names one of them
    plan = [(s, ch) for s in args.steps for ch in (CHANNELS if s == "ingest" else (None,))]
    plan = [tuple(s.split(":", 1)) if ch is None and ":" in s else (s, ch) for s, ch in plan]
    for step, channel in plan:
        key = f"{step}:{channel}" if channel else step
        entry = run["steps"].setdefault(key, {"done": False})
        if entry.get("done"):
            continue
        print(f"[history] {key} {args.date_from}..{args.date_to}", flush=True)
        measure_step(step, channel, entry, args, env, save)
        print(f"[history] {key}: {entry['wall_seconds']} s, peak RSS {entry['peak_rss_bytes'] / 2**30:.1f} GiB, "
              f"rows {entry['rows']}", flush=True)

    m = run_measured([sys.executable, "-c", COUNT_CHILD], env=env, cwd=str(ROOT))
    if m.returncode == 0:
        run["tables"] = stats_line(m.stdout)
    done = [k for k, v in run["steps"].items() if v.get("done")]
    run["total_wall_seconds"] = round(sum(run["steps"][k]["wall_seconds"] for k in done), 1)
    orders = run.get("tables", {}).get("dwd_work_order", {}).get("rows")
    if orders:
        run["orders"] = orders
        run["orders_per_second"] = round(orders / run["total_wall_seconds"])
    save()
    print(f"history {args.date_from}..{args.date_to}: {run['total_wall_seconds']} s over {len(done)} steps; "
          f"{orders} silver orders", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

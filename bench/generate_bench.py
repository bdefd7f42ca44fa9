"""Benchmark of `minsheng generate`: rows/s and peak memory at given sizes (not a test).

    .venv/bin/python bench/generate_bench.py --sizes 1000000 10000000 [--days 1095] [--keep]

Each size runs in a fresh Spark session (the ``local`` profile unless MINSHENG_PROFILE says otherwise)
into a scratch folder that is deleted afterwards (unless --keep). Peak memory is the largest resident
set of the driver process tree (Python + JVM), sampled every 0.5 s. Results go to
``bench/results/generate.json`` (merged by size) and one line of text per size on stdout.

``--parts K`` generates a size as K consecutive day ranges, one process each, as a city that is
generated year by year would be (``--epoch`` = the first day, each part's order count its share of the
whole range's volume, so the days come out at the same daily rates as in one run). Each part's output
is measured and then deleted before the next part starts (unless --keep): the size of a 30 M-order
landing zone is more than this machine's free disk. The figures are the parts' sums (peak memory
their maximum), each part's own figures kept beside them. Each finished part is recorded as it ends
(the size's entry says ``"complete": false`` until the last one), and ``--resume`` goes on at the first
part not yet recorded: a 30 M city takes longer than one session of this machine, whose processes and
scratch files do not outlive the session. ``--max-parts M`` stops after M new parts.
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

from measure import run_measured, stats_line

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results" / "generate.json"

CHILD = """
import dataclasses, datetime as dt, json, sys
from jobs.common.catalogue import Catalogue
from jobs.common.config import load_settings
from jobs.common.session import get_spark
from jobs.generate.plan import GenConfig
from jobs.generate.run import generate
from jobs.reference.load import load_reference
orders, start, days, seed, out = int(sys.argv[1]), dt.date.fromisoformat(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
epoch = dt.date.fromisoformat(sys.argv[6]) if len(sys.argv) > 6 else None
s = load_settings()
s = dataclasses.replace(s, lake_uri=out + "/lake", work_uri=out + "/tmp", landing_uri=out + "/landing",
                        ground_truth_uri=out + "/ground_truth")
cat = Catalogue(s)
spark = get_spark(s, app_name="bench-generate")
load_reference(spark, cat)
print("STATS " + json.dumps(generate(spark, cat, GenConfig(orders=orders, start=start, days=days, seed=seed, epoch=epoch))))
"""


def part_orders(orders: int, start: dt.date, days: int, parts: int) -> list[tuple[int, dt.date, int]]:
    """(orders, first day, days) of each of ``parts`` consecutive ranges: each range's share of the
    whole range's volume, by the generator's own day weights (trend, weekday, holidays, season)."""
    from jobs.common.config import load_settings
    from jobs.generate.plan import GenConfig, day_info, day_weight
    from jobs.reference.tables import calendar as reference_calendar

    settings = load_settings()
    calendar = reference_calendar(settings.calendar_first_year, settings.calendar_last_year)
    cfg = GenConfig(orders=orders, start=start, days=days)
    info = day_info(calendar)
    weights = [day_weight(d, info, cfg) for d in cfg.day_list()]
    bounds = [round(i * days / parts) for i in range(parts + 1)]
    sizes = [round(orders * sum(weights[a:b]) / sum(weights)) for a, b in itertools.pairwise(bounds)]
    sizes[-1] += orders - sum(sizes)
    return [(n, start + dt.timedelta(days=a), b - a) for n, (a, b) in zip(sizes, itertools.pairwise(bounds), strict=True)]


def run_parts(orders: int, start: dt.date, days: int, seed: int, keep: bool, parts: int, resume: bool = False,
              max_new: int | None = None) -> dict:
    """One size as ``parts`` consecutive day ranges, each measured (and deleted) before the next.

    Every finished part is recorded at once; with ``resume`` the parts already recorded for the same
    split are kept and the run goes on at the next one. After ``max_new`` new parts the size's entry is
    left incomplete (``"complete": false``) for a later ``--resume``.
    """
    if parts == 1:
        return run_one(orders, start, days, seed, keep)
    plan = [{"asked_orders": n, "start": first.isoformat(), "days": length, "seed": seed}
            for n, first, length in part_orders(orders, start, days, parts)]
    runs = recorded_parts(orders, plan) if resume else []

    def incomplete() -> dict:
        return {"complete": False, "parts_done": len(runs), "parts_planned": parts, "start": start.isoformat(),
                "days": days, "parts": runs}

    for spec in plan[len(runs):len(runs) + (max_new if max_new is not None else parts)]:
        first = dt.date.fromisoformat(spec["start"])
        r = {**run_one(spec["asked_orders"], first, spec["days"], seed, keep, epoch=start), **spec}
        runs.append(r)
        print(f"  part {first} + {spec['days']} days: {r['orders']:,} orders in {r['generate_seconds']} s", flush=True)
        if len(runs) < parts:
            record(orders, incomplete())
    if len(runs) < parts:
        return incomplete()
    return {**combine_parts(runs, start, days), "complete": True}


def recorded_parts(orders: int, plan: list[dict]) -> list[dict]:
    """The leading parts of ``plan`` already recorded for this size (same split, days and seed)."""
    results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    done = results.get(str(orders), {}).get("parts", [])
    keys = ("asked_orders", "start", "days", "seed")
    kept = []
    for spec, part in zip(plan, done, strict=False):
        if any(part.get(k) != spec[k] for k in keys):
            break
        kept.append(part)
    return kept


def combine_parts(runs: list[dict], start: dt.date, days: int) -> dict:
    """One size's figures from its parts' own: times, lines and bytes summed, peak memory the largest."""
    total = {k: round(sum(r[k] for r in runs), 1) for k in ("orders", "generate_seconds", "wall_seconds_incl_session",
                                                  "landing_lines", "landing_bytes", "output_bytes_on_disk", "files")}
    return {**runs[-1], **total, "days": days, "start": start.isoformat(),
            "asked_orders": sum(r["asked_orders"] for r in runs),
            "orders_per_second": round(total["orders"] / total["generate_seconds"]),
            "lines_per_second": round(total["landing_lines"] / total["generate_seconds"]),
            "peak_rss_bytes": max(r["peak_rss_bytes"] for r in runs), "parts": runs}


def run_one(orders: int, start: dt.date, days: int, seed: int, keep: bool, epoch: dt.date | None = None,
            out: str | None = None) -> dict:
    """Generate one range in a process of its own into ``out`` (a new scratch folder if not given)."""
    out = out or tempfile.mkdtemp(prefix=f"bench-generate-{orders}-", dir=os.environ.get("BENCH_TMP"))
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    cmd = [sys.executable, "-c", CHILD, str(orders), start.isoformat(), str(days), str(seed), out]
    m = run_measured(cmd + ([epoch.isoformat()] if epoch else []), env=env, cwd=str(ROOT))
    if m.returncode != 0:
        raise SystemExit(f"generate failed for {orders} orders (exit {m.returncode})")
    stats = stats_line(m.stdout)
    disk = sum(f.stat().st_size for f in Path(out).rglob("*") if f.is_file())
    if not keep:
        shutil.rmtree(out, ignore_errors=True)
    return {
        "orders": stats["orders"], "days": days, "seed": seed, "start": start.isoformat(),
        "generate_seconds": stats["seconds_total"], "wall_seconds_incl_session": m.wall_seconds,
        "orders_per_second": round(stats["orders"] / stats["seconds_total"]),
        "landing_lines": stats["lines"], "lines_per_second": round(stats["lines"] / stats["seconds_total"]),
        "landing_bytes": stats["bytes"], "output_bytes_on_disk": disk, "files": stats["files"],
        "peak_rss_bytes": m.peak_rss_bytes, "cpu_count": os.cpu_count(),
        "load_average_1m_at_end": round(os.getloadavg()[0], 1),
        "profile": os.environ.get("MINSHENG_PROFILE", "local"),
        "measured_at": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


def record(orders: int, size: dict) -> None:
    """Keep the figures of the size asked for (``orders``) in the results file, replacing an earlier run."""
    results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    results[str(orders)] = size
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=1) + "\n")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[1_000_000, 10_000_000])
    ap.add_argument("--days", type=int, default=1095)
    ap.add_argument("--start", type=dt.date.fromisoformat, default=dt.date(2023, 1, 1))
    ap.add_argument("--seed", type=int, default=12345)
    ap.add_argument("--parts", type=int, default=1, help="generate each size as this many consecutive day ranges")
    ap.add_argument("--keep", action="store_true")
    ap.add_argument("--resume", action="store_true", help="keep the parts already recorded for a size; go on after them")
    ap.add_argument("--max-parts", type=int, help="generate at most this many new parts per size in this run")
    args = ap.parse_args()
    for n in args.sizes:
        r = run_parts(n, args.start, args.days, args.seed, args.keep, args.parts, args.resume, args.max_parts)
        record(n, r)
        if not r.get("complete", True):
            print(f"generate {n:,} orders / {args.days} days: {r['parts_done']} of {r['parts_planned']} parts done "
                  f"({sum(p['generate_seconds'] for p in r['parts']):,.1f} s so far); go on with --resume")
            continue
        print(f"generate {r['orders']:,} orders / {r['days']} days: {r['generate_seconds']} s "
              f"({r['orders_per_second']:,} orders/s, {r['lines_per_second']:,} lines/s), "
              f"peak RSS {r['peak_rss_bytes'] / 2**30:.1f} GiB, {r['landing_bytes'] / 2**30:.2f} GiB landed, "
              f"load avg {r['load_average_1m_at_end']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

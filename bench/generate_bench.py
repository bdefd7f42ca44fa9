"""Benchmark of `minsheng generate`: rows/s and peak memory at given sizes (not a test).

    .venv/bin/python bench/generate_bench.py --sizes 1000000 10000000 [--days 1095] [--keep]

Each size runs in a fresh Spark session (the ``local`` profile unless MINSHENG_PROFILE says otherwise)
into a scratch folder that is deleted afterwards (unless --keep). Peak memory is the largest resident
set of the driver process tree (Python + JVM), sampled every 0.5 s. Results go to
``bench/results/generate.json`` (merged by size) and one line of text per size on stdout.
"""

from __future__ import annotations

import argparse
import datetime as dt
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
s = load_settings()
s = dataclasses.replace(s, lake_uri=out + "/lake", work_uri=out + "/tmp", landing_uri=out + "/landing",
                        ground_truth_uri=out + "/ground_truth")
cat = Catalogue(s)
spark = get_spark(s, app_name="bench-generate")
load_reference(spark, cat)
print("STATS " + json.dumps(generate(spark, cat, GenConfig(orders=orders, start=start, days=days, seed=seed))))
"""


def run_one(orders: int, start: dt.date, days: int, seed: int, keep: bool) -> dict:
    out = tempfile.mkdtemp(prefix=f"bench-generate-{orders}-", dir=os.environ.get("BENCH_TMP"))
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    m = run_measured([sys.executable, "-c", CHILD, str(orders), start.isoformat(), str(days), str(seed), out],
                     env=env, cwd=str(ROOT))
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


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[1_000_000, 10_000_000])
    ap.add_argument("--days", type=int, default=1095)
    ap.add_argument("--start", type=dt.date.fromisoformat, default=dt.date(2023, 1, 1))
    ap.add_argument("--seed", type=int, default=12345)
    ap.add_argument("--keep", action="store_true")
    args = ap.parse_args()
    results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    for n in args.sizes:
        r = run_one(n, args.start, args.days, args.seed, args.keep)
        results[str(n)] = r
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text(json.dumps(results, indent=1) + "\n")
        print(f"generate {r['orders']:,} orders / {r['days']} days: {r['generate_seconds']} s "
              f"({r['orders_per_second']:,} orders/s, {r['lines_per_second']:,} lines/s), "
              f"peak RSS {r['peak_rss_bytes'] / 2**30:.1f} GiB, {r['landing_bytes'] / 2**30:.2f} GiB landed, "
              f"load avg {r['load_average_1m_at_end']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

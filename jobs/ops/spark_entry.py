"""The application ``spark-submit`` runs in the cluster profile: the same step entry points as local.

    spark-submit jobs/ops/spark_entry.py STEP --interval-start ISO --interval-end ISO [--channel C]
    spark-submit jobs/ops/spark_entry.py STEP --from YYYY-MM-DD --to YYYY-MM-DD [--chunk-days N]
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from datetime import datetime

if __package__ in (None, ""):  # run as a file by spark-submit: make the project importable
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

from jobs.ops.tasks import run_for_interval, run_range  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="spark_entry")
    p.add_argument("step")
    p.add_argument("--channel")
    p.add_argument("--interval-start")
    p.add_argument("--interval-end")
    p.add_argument("--from", dest="date_from")
    p.add_argument("--to", dest="date_to")
    p.add_argument("--chunk-days", type=int, default=0)
    a = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if a.interval_start and a.interval_end:
        run_for_interval(a.step, datetime.fromisoformat(a.interval_start), datetime.fromisoformat(a.interval_end),
                         channel=a.channel or None)
    elif a.date_from and a.date_to:
        run_range(a.step, a.date_from, a.date_to, a.chunk_days, channel=a.channel or None)
    else:
        p.error("give --interval-start/--interval-end or --from/--to")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

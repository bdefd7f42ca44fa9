"""`minsheng pii-scan`: fail when personal information appears in clear in silver / gold tables."""

from __future__ import annotations

import argparse
import json

from jobs.cli import command


def _args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--table", action="append", dest="tables", help="table to scan (repeatable; default: silver+gold)")
    p.add_argument("--full", action="store_true",
                   help="scan the tables whole, not only what changed since their last clean scan (after a leak "
                        "was fixed at its source: a clean full scan is the new starting point)")


@command("pii-scan", "Scan silver/gold tables for phone, ID and bank-card numbers in clear", args=_args)
def pii_scan(args: argparse.Namespace) -> int:
    from jobs.privacy import PiiLeakError, run_scan

    try:
        print(json.dumps(run_scan(args.tables, full=args.full), ensure_ascii=False, indent=1))
    except PiiLeakError as exc:
        print(f"minsheng pii-scan: {exc}")
        return 3
    return 0

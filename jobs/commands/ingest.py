"""`minsheng ingest`: landing deliveries → bronze. Also the shared --date / --from --to arguments."""

from __future__ import annotations

import argparse
import datetime as dt
import json

from jobs.cli import command


def add_date_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--date", type=dt.date.fromisoformat, help="one day, YYYY-MM-DD")
    p.add_argument("--from", dest="date_from", type=dt.date.fromisoformat, help="first day of a range")
    p.add_argument("--to", dest="date_to", type=dt.date.fromisoformat, help="last day of a range")


def date_range(args: argparse.Namespace) -> tuple[dt.date, dt.date]:
    """(first, last) day from ``--date`` or ``--from/--to``; SystemExit with a message otherwise."""
    if args.date and (args.date_from or args.date_to):
        raise SystemExit("give either --date or --from/--to, not both")
    if args.date:
        return args.date, args.date
    if args.date_from and args.date_to:
        if args.date_to < args.date_from:
            raise SystemExit(f"--to {args.date_to} is before --from {args.date_from}")
        return args.date_from, args.date_to
    raise SystemExit("give --date D or both --from D1 and --to D2")


def _ingest_args(p: argparse.ArgumentParser) -> None:
    add_date_args(p)
    p.add_argument("--channel", choices=["phone", "online", "grid", "opinion", "event"],
                   help="one channel only (default: all)")


@command("ingest", "Landing deliveries -> bronze Delta tables (incremental, idempotent, quarantine)",
         args=_ingest_args)
def ingest(args: argparse.Namespace) -> int:
    from jobs.ingest import run

    d1, d2 = date_range(args)
    print(json.dumps(run(d1, d2, channel=args.channel), ensure_ascii=False, indent=1, default=str))
    return 0

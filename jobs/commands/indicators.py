"""`minsheng indicators --date D | --from D1 --to D2 [--dictionary]`."""

from __future__ import annotations

import argparse
import datetime as dt
import json

from jobs.cli import command


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def add_range_args(p: argparse.ArgumentParser, required: bool = True) -> None:
    g = p.add_mutually_exclusive_group(required=required)
    g.add_argument("--date", type=_date, help="one day (YYYY-MM-DD)")
    g.add_argument("--from", dest="date_from", type=_date, help="first day of a range (with --to)")
    p.add_argument("--to", dest="date_to", type=_date, help="last day of a range (with --from)")


def date_range(args: argparse.Namespace) -> tuple[dt.date, dt.date]:
    if args.date:
        if args.date_to:
            raise SystemExit("minsheng: --to goes with --from, not with --date")
        return args.date, args.date
    if not args.date_to:
        raise SystemExit("minsheng: --from needs --to")
    if args.date_to < args.date_from:
        raise SystemExit(f"minsheng: --to {args.date_to} is before --from {args.date_from}")
    return args.date_from, args.date_to


def _args(p: argparse.ArgumentParser) -> None:
    add_range_args(p, required=False)
    p.add_argument("--dictionary", action="store_true",
                   help="(re)generate docs/data-dictionary.md from the indicator registry (no Spark)")


@command("indicators", "Silver → gold indicators (§7(c) B–G, ranking, 民生诉求体征) for a day or a range",
         args=_args)
def indicators(args: argparse.Namespace) -> int:
    if args.dictionary:
        from jobs.common.config import load_settings
        from jobs.indicators.config import IndicatorConfig
        from jobs.indicators.dictionary import write

        print(write(cfg=IndicatorConfig.from_settings(load_settings())))
        if not (args.date or args.date_from):
            return 0
    if not (args.date or args.date_from):
        raise SystemExit("minsheng indicators: give --date D or --from D1 --to D2 (or --dictionary)")
    from jobs.indicators import run

    date_from, date_to = date_range(args)
    print(json.dumps(run(date_from, date_to), ensure_ascii=False, indent=1))
    return 0

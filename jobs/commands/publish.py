"""`minsheng publish --period day|week|month --date D | --from D1 --to D2`."""

from __future__ import annotations

import argparse
import json

from jobs.cli import command
from jobs.commands.indicators import add_range_args, date_range


def _args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--period", required=True, choices=["day", "week", "month"],
                   help="publish the days, or the weeks / months containing the dates")
    add_range_args(p)


@command("publish", "Publish gold indicators + 民生诉求体征 to S3 and department share extracts", args=_args)
def publish(args: argparse.Namespace) -> int:
    from jobs.publish import run

    date_from, date_to = date_range(args)
    print(json.dumps(run(args.period, date_from, date_to), ensure_ascii=False, indent=1, default=str))
    return 0

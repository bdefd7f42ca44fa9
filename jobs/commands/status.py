"""`minsheng status`: a summary of the lake."""

from __future__ import annotations

import argparse
import json

from jobs.cli import command


def _status_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")


@command("status", "Summarise the lake: latest day, rows and version per table, last DQ result, last publish, "
         "recent task failures", args=_status_args)
def status(args: argparse.Namespace) -> int:
    from jobs.common.catalogue import Catalogue
    from jobs.common.config import load_settings
    from jobs.common.session import get_spark
    from jobs.ops.status import format_status, lake_status

    settings = load_settings()
    result = lake_status(get_spark(settings), Catalogue(settings))
    print(json.dumps(result, ensure_ascii=False, indent=1, default=str) if args.json else format_status(result))
    return 0

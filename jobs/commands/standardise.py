"""`minsheng standardise`: bronze → silver dwd_work_order / dwd_work_order_event."""

from __future__ import annotations

import argparse
import json

from jobs.cli import command
from jobs.commands.ingest import add_date_args, date_range


@command("standardise", "Bronze -> silver work orders and events (§7 A1/A2, MERGE of lifecycle events)",
         args=add_date_args)
def standardise(args: argparse.Namespace) -> int:
    from jobs.standardise import run

    d1, d2 = date_range(args)
    print(json.dumps(run(d1, d2), ensure_ascii=False, indent=1, default=str))
    return 0

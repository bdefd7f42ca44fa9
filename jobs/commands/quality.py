"""`minsheng quality`: evaluate the data-quality rules into dq_results and gate downstream steps."""

from __future__ import annotations

import argparse
import json

from jobs.cli import command
from jobs.commands.ingest import add_date_args, date_range


@command("quality", "Evaluate data-quality rules per batch into dq_results; exit 4 when the gate closes",
         args=add_date_args)
def quality(args: argparse.Namespace) -> int:
    from jobs.quality import QualityGateError, run

    d1, d2 = date_range(args)
    try:
        print(json.dumps(run(d1, d2), ensure_ascii=False, indent=1, default=str))
    except QualityGateError as exc:
        print(f"minsheng quality: {exc}")
        return 4
    return 0

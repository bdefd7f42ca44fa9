"""`minsheng reference load`."""

from __future__ import annotations

import argparse
import json

from jobs.cli import command


def _reference_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("action", choices=["load"], help="load: reference files -> ref_* Delta tables")


@command("reference", "Load the versioned reference data (code lists, city, departments, SLA, calendar)",
         args=_reference_args)
def reference(args: argparse.Namespace) -> int:
    from jobs.reference.load import run

    print(json.dumps(run(), ensure_ascii=False, indent=1))
    return 0


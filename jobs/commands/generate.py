"""`minsheng generate --orders N --start DATE --days D --seed S [--out URI]`."""

from __future__ import annotations

import argparse
import datetime as dt
import json

from jobs.cli import command


def _args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--orders", type=int, required=True, help="orders over the whole range")
    p.add_argument("--start", type=dt.date.fromisoformat, required=True, help="first day (YYYY-MM-DD)")
    p.add_argument("--days", type=int, default=1, help="number of days (default 1: a daily increment)")
    p.add_argument("--seed", type=int, default=12345)
    p.add_argument("--epoch", type=dt.date.fromisoformat, default=None,
                   help="first day of the city (default --start); daily increments pass the original start so "
                        "repeat callers and incidents can reach back to earlier days")
    p.add_argument("--out", default=None, help="folder for landing/ and ground_truth/ (default: the profile's)")


@command("generate", "Generate the synthetic city: landing-zone deliveries per channel plus ground truth",
         args=_args)
def generate(args: argparse.Namespace) -> int:
    from jobs.generate.run import run

    if args.orders < 1 or args.days < 1:
        raise SystemExit("generate: --orders and --days must be positive")
    stats = run(args.orders, args.start, args.days, args.seed, out=args.out, epoch=args.epoch)
    print(json.dumps(stats, ensure_ascii=False, indent=1))
    return 0

"""Benchmark: a city too large for this disk, generated part by part and carried bronze → gold (not a test).

    .venv/bin/python bench/city_bench.py --orders 30000000 --start 2023-01-01 --days 1095 --parts 3 \\
        --work /work/big/c30 --tag 30m

A 30 M-order landing zone (≈ 60 GB) does not fit beside its own lake here, so the city is generated as
``--parts`` consecutive day ranges, as a city generated year by year would be (the same split and
day weights as ``generate_bench.py --parts``). Each part is

1. generated into ``WORK/part-<i>`` (``generate_bench.run_one``, measured as a process of its own);
2. ingested, all five channels, over every delivery day its landing zone has (a part's late lifecycle
   events are delivered in the first weeks of the next part's range, in files of their own), into the
   one lake ``WORK/lake`` (``history_bench.py --steps ingest``, results ``history_<tag>_ingest_part<i>.json``);
3. deleted.

Then standardise, the quality gate and indicators run over the whole range (``history_bench.py``,
results ``history_<tag>.json``). Every stage is recorded in ``bench/results/city_<tag>.json`` when it
ends and every step chunk by ``history_bench`` as it ends, so a run that is stopped (this machine's
sessions end) goes on where it stopped when started again with the same arguments: a part whose
generation was cut off is generated again from scratch, an ingest or later step continues at its next
chunk. When all parts are generated, ``generate.json`` gets the size's entry (the parts' sums).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from generate_bench import combine_parts, part_orders, record, run_one

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
LATER_STEPS = ("standardise", "quality", "indicators")


def last_delivery_day(landing: Path) -> str:
    """The latest ``dt=`` folder of any channel in a landing zone."""
    days = [p.name[3:] for p in landing.glob("*/dt=*") if p.is_dir()]
    if not days:
        raise SystemExit(f"{landing} has no delivery folders")
    return max(days)


def history(args: argparse.Namespace, landing: Path, date_from: str, date_to: str, steps: list[str],
            tag: str) -> dict:
    """Run (or go on with) ``history_bench.py`` for these steps; its results file's content."""
    cmd = [sys.executable, str(ROOT / "bench" / "history_bench.py"), "--landing", str(landing),
           "--lake", str(args.work / "lake"), "--from", date_from, "--to", date_to, "--steps", *steps,
           "--tag", tag, "--resume"]
    env = {**os.environ, "MINSHENG_WORK_URI": str(args.work / "work")}
    if subprocess.run(cmd, env=env, cwd=str(ROOT)).returncode != 0:
        raise SystemExit(f"history_bench {' '.join(steps)} {date_from}..{date_to} failed; "
                         f"run again with the same arguments to go on")
    return json.loads((RESULTS / f"history_{tag}.json").read_text())


def _step_totals(run: dict) -> dict:
    return {k: {"wall_seconds": v["wall_seconds"], "peak_rss_bytes": v["peak_rss_bytes"], "rows": v["rows"]}
            for k, v in run["steps"].items()}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--orders", type=int, required=True)
    ap.add_argument("--start", type=dt.date.fromisoformat, required=True)
    ap.add_argument("--days", type=int, required=True)
    ap.add_argument("--parts", type=int, required=True)
    ap.add_argument("--seed", type=int, default=12345)
    ap.add_argument("--work", type=Path, required=True, help="scratch folder: the parts' output and the lake")
    ap.add_argument("--tag", required=True)
    ap.add_argument("--record-generate", action=argparse.BooleanOptionalAction, default=True,
                    help="write the size's generation figures into generate.json when all parts are done")
    args = ap.parse_args()
    args.work = args.work.resolve()
    args.work.mkdir(parents=True, exist_ok=True)
    state_file = RESULTS / f"city_{args.tag}.json"
    key = {"orders": args.orders, "start": args.start.isoformat(), "days": args.days, "parts": args.parts,
           "seed": args.seed, "work": str(args.work)}
    state = json.loads(state_file.read_text()) if state_file.exists() else {}
    if {k: state.get(k) for k in key} != key:  # another city: start over
        state = {**key, "part_runs": [{"orders": n, "first_day": first.isoformat(), "days": length}
                                      for n, first, length in part_orders(args.orders, args.start, args.days,
                                                                          args.parts)]}

    def save() -> None:
        state_file.parent.mkdir(parents=True, exist_ok=True)
        state_file.write_text(json.dumps(state, indent=1, ensure_ascii=False) + "\n")

    save()
    for i, part in enumerate(state["part_runs"], start=1):
        out = args.work / f"part-{i}"
        if part.get("deleted"):
            continue
        if "generate" not in part:
            shutil.rmtree(out, ignore_errors=True)  # a generation cut off midway is redone whole
            print(f"[city] part {i}: generate {part['orders']:,} orders from {part['first_day']} "
                  f"for {part['days']} days", flush=True)
            part["generate"] = run_one(part["orders"], dt.date.fromisoformat(part["first_day"]), part["days"],
                                       args.seed, keep=True, epoch=args.start, out=str(out))
            part["last_delivery_day"] = last_delivery_day(out / "landing")
            save()
        print(f"[city] part {i}: ingest {part['first_day']}..{part['last_delivery_day']}", flush=True)
        run = history(args, out / "landing", part["first_day"], part["last_delivery_day"], ["ingest"],
                      f"{args.tag}_ingest_part{i}")
        part["ingest"] = _step_totals(run)
        shutil.rmtree(out)
        part["deleted"] = True
        save()

    runs = [p["generate"] for p in state["part_runs"]]
    state["generate"] = {k: v for k, v in combine_parts(runs, args.start, args.days).items() if k != "parts"}
    if args.record_generate:
        record(args.orders, combine_parts(runs, args.start, args.days))
    last = max(p["last_delivery_day"] for p in state["part_runs"])
    print(f"[city] {', '.join(LATER_STEPS)} {args.start}..{last}", flush=True)
    run = history(args, args.work / "landing-unused", args.start.isoformat(), last, list(LATER_STEPS), args.tag)
    state["later_steps"] = _step_totals(run)
    state["tables"] = run.get("tables")
    ingest_s = sum(s["wall_seconds"] for p in state["part_runs"] for s in p["ingest"].values())
    later_s = sum(s["wall_seconds"] for s in state["later_steps"].values())
    state["seconds"] = {"generate": state["generate"]["generate_seconds"], "ingest": round(ingest_s, 1),
                        "standardise_quality_indicators": round(later_s, 1),
                        "bronze_to_gold": round(ingest_s + later_s, 1)}
    state["peak_rss_bytes"] = max([state["generate"]["peak_rss_bytes"],
                                   *(s["peak_rss_bytes"] for p in state["part_runs"] for s in p["ingest"].values()),
                                   *(s["peak_rss_bytes"] for s in state["later_steps"].values())])
    save()
    print(f"[city] {args.orders:,} orders: generate {state['seconds']['generate']} s, bronze → gold "
          f"{state['seconds']['bronze_to_gold']} s, peak RSS {state['peak_rss_bytes'] / 2**30:.1f} GiB", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

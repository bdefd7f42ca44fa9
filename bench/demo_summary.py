"""bench/results/demo.json from a finished `make demo`: its stage times (var/log/demo-summary.json) and
each DAG run's per-task durations as Airflow recorded them (var/log/demo-run-*.json).

    .venv/bin/python bench/demo_summary.py
"""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

LOG = Path("var/log")
OUT = Path("bench/results/demo.json")


def main() -> None:
    summary = json.loads((LOG / "demo-summary.json").read_text())
    # only the run reports this demo wrote (a demo without models/weekly leaves older ones in place)
    began = (LOG / "demo-summary.json").stat().st_mtime - summary["total_seconds"] - 60
    runs = {}
    for path in sorted(LOG.glob("demo-run-*.json")):
        if path.stat().st_mtime < began:
            continue
        report = json.loads(path.read_text())
        runs[report["dag_id"]] = {
            "state": report["state"], "start": report.get("start_date"), "end": report.get("end_date"),
            "task_seconds": {t: round(v["duration_s"] or 0, 1) for t, v in sorted(report["tasks"].items())},
            "tries": {t: v["try_number"] for t, v in sorted(report["tasks"].items()) if (v["try_number"] or 1) > 1},
        }
    out = {**summary, "cpus": os.cpu_count(), "runs": runs,
           "measured_at": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")}
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(out, indent=1, ensure_ascii=False) + "\n")
    stages = ", ".join(f"{s['stage'].split(' (')[0].split(':')[0]} {s['seconds']} s" for s in summary["stages"])
    print(f"make demo: {summary['orders']:,} orders / {summary['days']} days in {summary['total_seconds']} s "
          f"({summary['total_seconds'] / 60:.1f} min): {stages}")


if __name__ == "__main__":
    main()

"""The one call each Airflow task makes.

``run_for_interval`` (``minsheng_daily``: the days come from the data interval) and ``run_range``
(``minsheng_backfill``: a long range processed in chunks inside one Spark session) both end in
``run_step``, which calls the agreed entry point of a step and logs what it read and wrote.
The same functions run under ``spark-submit`` (``jobs/ops/spark_entry.py``) in the cluster profile.
"""

from __future__ import annotations

import importlib
import json
import logging
import math
import time
from datetime import date, datetime, timedelta
from typing import Any

from jobs.ops.days import chunks, interval_days, month_chunks, parse_day, publish_periods
from jobs.ops.plan import STEPS

log = logging.getLogger("minsheng.ops")

#: Days of history the forecast backtests and fits on, at most (less while the lake is younger).
FORECAST_HISTORY_DAYS = 730
#: Days of orders, ending on the run's last day, that the 类案 clustering and 并单 suggestions look at.
CASES_WINDOW_DAYS = 90


def _json_safe(value: Any) -> Any:
    """The summary as plain JSON for the task's return value (XCom): Airflow's API refuses NaN and
    infinities (e.g. a warning recall on a day without incidents), so they become null."""
    def finite(v: Any) -> Any:
        if isinstance(v, float) and not math.isfinite(v):
            return None
        if isinstance(v, dict):
            return {k: finite(x) for k, x in v.items()}
        if isinstance(v, list):
            return [finite(x) for x in v]
        return v

    return finite(json.loads(json.dumps(value, default=str, ensure_ascii=False)))


def _entry(step: str):
    if step not in STEPS:
        raise ValueError(f"unknown step {step!r}; known: {', '.join(STEPS)}")
    module, func = STEPS[step]
    return getattr(importlib.import_module(module), func)


def run_step(step: str, date_from: date, date_to: date, channel: str | None = None, settings=None) -> dict:
    """Run one step over an inclusive day range; returns (and logs) its summary.

    ``publish`` publishes the days and every week/month completed inside the range; ``pii_scan``
    scans the whole lake (it has no dates). The model steps read their own windows: the classifiers
    retrain on every order before the day after ``date_to``; the forecast fits on the history ending
    ``date_to`` (``FORECAST_HISTORY_DAYS`` at most); 类案 looks back ``CASES_WINDOW_DAYS`` from
    ``date_to``; the weekly report covers the ISO week of ``date_from``.
    """
    entry = _entry(step)
    started = time.monotonic()
    log.info("minsheng %s: %s .. %s%s starting", step, date_from, date_to, f" channel={channel}" if channel else "")
    if step == "ingest":
        summary = entry(date_from, date_to, channel, settings=settings)
    elif step == "pii_scan":
        summary = entry(None, settings=settings)
    elif step == "publish":
        # The tables do not change between the day, week and month publishes: scan them once (the first).
        summary = {f"{p}:{a}..{b}": entry(p, a, b, settings=settings, table_scan=i == 0)
                   for i, (p, a, b) in enumerate(publish_periods(date_from, date_to))}
    elif step == "train_classifiers":
        summary = entry(as_of=date_to + timedelta(days=1), settings=settings)
    elif step == "forecast":
        summary = entry(date_to, max_days=FORECAST_HISTORY_DAYS, settings=settings)
    elif step == "cases":
        summary = entry(date_to - timedelta(days=CASES_WINDOW_DAYS - 1), date_to, settings=settings)
    elif step == "weekly_report":
        summary = entry(date_from, settings=settings)
        log.info("每周一议 weekly report: %s", summary.get("report_url"))
    else:
        summary = entry(date_from, date_to, settings=settings)
    out = {"step": step, "date_from": str(date_from), "date_to": str(date_to), "channel": channel,
           "seconds": round(time.monotonic() - started, 1), "summary": _json_safe(summary)}
    # The task log states what was read and written: the step's own summary (tables, versions, rows).
    log.info("minsheng %s done: %s", step, json.dumps(out, ensure_ascii=False, default=str))
    return out


def run_for_interval(step: str, data_interval_start: datetime, data_interval_end: datetime,
                     channel: str | None = None, settings=None) -> dict:
    """Run a step for the city-local days of an Airflow data interval (never the wall clock)."""
    first, last = interval_days(data_interval_start, data_interval_end)
    return run_step(step, first, last, channel=channel, settings=settings)


def step_chunks(step: str, first: date, last: date, chunk_days: int) -> list[tuple[date, date]]:
    """The consecutive ranges a backfill runs ``step`` over (0 = calendar months)."""
    if step == "pii_scan":  # no dates: one scan of the lake after the whole range
        return [(first, last)]
    return month_chunks(first, last) if chunk_days == 0 else chunks(first, last, chunk_days)


def run_range(step: str, date_from: str | date, date_to: str | date, chunk_days: int | str = 0,
              channel: str | None = None, settings=None) -> dict:
    """Run a step over a long range in consecutive chunks, all in this process's one Spark session.

    ``chunk_days`` 0 (the default) means calendar months; chunks run in time order, which matters for
    steps that merge late lifecycle events into the current state.
    """
    first, last = parse_day(date_from), parse_day(date_to)
    parts = step_chunks(step, first, last, int(chunk_days or 0))
    results = [run_step(step, a, b, channel=channel, settings=settings) for a, b in parts]
    return {"step": step, "date_from": str(first), "date_to": str(last), "channel": channel,
            "chunks": len(parts), "seconds": round(sum(r["seconds"] for r in results), 1),
            "results": results}

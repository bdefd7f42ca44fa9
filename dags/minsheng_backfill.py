"""minsheng_backfill: process a long history (years) in a handful of tasks, not one run per day.

Triggered with ``{"date_from": "YYYY-MM-DD", "date_to": "YYYY-MM-DD", "chunk_days": 0}``. Each task
runs one step over the whole range in one Spark session, in consecutive chunks (calendar months when
``chunk_days`` is 0): ingest per channel in parallel → standardise → quality gate → indicators,
scores and warnings → PII scan → publish. A year is ~13 Spark sessions instead of ~4,000 for 365 daily
runs via ``airflow backfill create`` (11 task processes a day, each starting a JVM). The tasks hold the same
writer pools as ``minsheng_daily``.

Chunk size: each chunk is one pass of a step, with a fixed cost (Delta log replays, small jobs, MERGE
set-up) and a MERGE into a silver table that grows chunk by chunk. Fewer, larger chunks are therefore
faster as long as a chunk fits the cluster's memory: on the 2-core machine here a 1 M-order year was
standardised in one chunk in 8.6 min, against 54 min in 13 month chunks. ``make demo`` passes its whole
history as one chunk; a 30 M-order city keeps calendar months (about 0.8 M orders and 4 M events a chunk).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from airflow.sdk import Param, dag

from jobs.ops.dagkit import TAGS, default_args, step_task
from jobs.ops.days import CITY_TZ
from jobs.ops.plan import CHANNELS


@dag(
    dag_id="minsheng_backfill",
    schedule=None,
    start_date=datetime(2025, 1, 1, tzinfo=CITY_TZ),
    catchup=False,
    max_active_runs=1,
    default_args=default_args(execution_timeout=timedelta(hours=8)),
    params={
        "date_from": Param("2025-01-01", type="string", format="date", description="first day (inclusive)"),
        "date_to": Param("2025-12-31", type="string", format="date", description="last day (inclusive)"),
        "chunk_days": Param(0, type="integer", minimum=0, description="days per chunk; 0 = calendar months"),
    },
    tags=[*TAGS, "backfill"],
    doc_md=__doc__,
)
def minsheng_backfill():
    bronze = [step_task("ingest", channel=ch, ranged=True) for ch in CHANNELS]
    silver = step_task("standardise", ranged=True)
    bronze >> silver
    gate = step_task("quality", ranged=True)
    gold = [step_task(s, ranged=True) for s in ("indicators", "score", "warnings")]
    scan = step_task("pii_scan", ranged=True)
    silver >> gate >> gold >> scan >> step_task("publish", ranged=True)


minsheng_backfill()

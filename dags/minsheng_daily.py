"""minsheng_daily: one run per city day — landing → bronze → silver → quality gate → gold (indicators,
诉求智能分类 scores with each target's champion, 未诉先办 warnings) → PII scan → publish.

The day is the data interval ``[D 00:00, D+1 00:00)`` Asia/Shanghai (a data-interval timetable: in
Airflow 3 a bare cron no longer implies one). ``max_active_runs=1``: days are processed in order,
because standardise MERGEs late lifecycle events into the current state of earlier days' orders.
Each task writes only the Delta tables of its step and holds that step's pool (one slot), so the
daily and backfill DAGs never write the same table at once. History: ``minsheng_backfill``.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from airflow.sdk import CronDataIntervalTimetable, dag

from jobs.ops.dagkit import TAGS, default_args, step_task, wait_for_landing
from jobs.ops.days import CITY_TZ
from jobs.ops.plan import CHANNELS


@dag(
    dag_id="minsheng_daily",
    schedule=CronDataIntervalTimetable("0 0 * * *", timezone="Asia/Shanghai"),
    start_date=datetime(2025, 1, 1, tzinfo=CITY_TZ),
    catchup=False,
    max_active_runs=1,
    # longer than the landing sensor's 12 h plus the steps: a run timed out earlier would skip its
    # tasks silently (no failure callback) and its day would never be processed
    dagrun_timeout=timedelta(hours=20),
    default_args=default_args(execution_timeout=timedelta(hours=1)),
    tags=[*TAGS, "daily"],
    doc_md=__doc__,
)
def minsheng_daily():
    landed = wait_for_landing()
    bronze = [step_task("ingest", channel=ch) for ch in CHANNELS]
    # a day's standardise waits for the previous day's: a cleared, re-run earlier day must not MERGE its
    # lifecycle events after a later day's (max_active_runs does not count a failed run)
    silver = step_task("standardise", depends_on_past=True)
    landed >> bronze >> silver
    gate = step_task("quality")
    gold = [step_task("indicators"), step_task("score"), step_task("warnings")]
    scan = step_task("pii_scan")
    silver >> gate >> gold >> scan >> step_task("publish")


minsheng_daily()

"""minsheng_weekly: 类案治理 and the 每周一议 (weekly review) report for one ISO week.

One run per week (Monday 00:00 – next Monday 00:00 city time, a data-interval timetable). It waits
until every day of the week has been processed and published (``minsheng_daily`` or
``minsheng_backfill`` publishes a day's manifest last), then:

- ``cases`` — MinHash-LSH near-duplicates → 并单 suggestions and 类案 clusters over the 90 days ending
  on the week's Sunday (``gold_merge_suggestion``, ``gold_case_member``, ``gold_case_cluster``);
- ``weekly_report`` — the HTML report (top 类案 by size and growth, new issues, warnings and their
  outcomes, forecast vs actual, department performance) rendered to PNG/PDF with headless Chromium and
  published to ``s3://<publish bucket>/reports/weekly/<monday>/``; its URL is the task's return value
  (XCom) and is logged.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from airflow.sdk import CronDataIntervalTimetable, dag

from jobs.ops.dagkit import TAGS, default_args, step_task, wait_for_published_days
from jobs.ops.days import CITY_TZ


@dag(
    dag_id="minsheng_weekly",
    schedule=CronDataIntervalTimetable("0 0 * * 1", timezone="Asia/Shanghai"),
    start_date=datetime(2025, 1, 6, tzinfo=CITY_TZ),
    catchup=False,
    max_active_runs=1,
    dagrun_timeout=timedelta(hours=30),
    default_args=default_args(execution_timeout=timedelta(hours=2)),
    tags=[*TAGS, "weekly"],
    doc_md=__doc__,
)
def minsheng_weekly():
    wait_for_published_days() >> step_task("cases") >> step_task("weekly_report")


minsheng_weekly()

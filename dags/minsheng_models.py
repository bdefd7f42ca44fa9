"""minsheng_models: retrain the 诉求智能分类 classifiers and the demand forecast, monthly and on demand.

One run per calendar month (a data-interval timetable: the run for month M starts when M ends); it
waits until every day of M has been processed and published, then retrains on everything up to M's
last day. A manual run retrains on the last complete month before its logical date.

- ``train_classifiers`` — the four targets (L1, L2, lead department, handling path) on every silver
  order accepted up to the interval's last day, a pinned Delta version, a time-based split (the latest
  month is the evaluation set); each new model version becomes ``challenger`` and is promoted to
  ``champion`` only when it beats the champion on the same evaluation set; the decision goes to
  ``ops_model_promotion`` either way. ``minsheng_daily`` scores with the champions.
- ``forecast`` — the rolling-origin backtest (global GBT vs per-series ETS/MSTL vs seasonal-naive) on up
  to two years of history, the next 28 days' forecasts with 90 % intervals into ``gold_forecast``, and the
  global model registered with the same aliases.

Both read silver and write only their own tables (their own pools); they run one after the other
because each is CPU-bound and a side-by-side run on a small machine only makes both slower and their
timings meaningless. The forecast runs whether or not the classifiers succeeded, but only when the
month is published (``all_done_min_one_success`` over the sensor and the classifiers).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from airflow.sdk import CronDataIntervalTimetable, dag

from jobs.ops.dagkit import TAGS, default_args, step_task, wait_for_published_days
from jobs.ops.days import CITY_TZ


@dag(
    dag_id="minsheng_models",
    schedule=CronDataIntervalTimetable("0 0 1 * *", timezone="Asia/Shanghai"),
    start_date=datetime(2025, 1, 1, tzinfo=CITY_TZ),
    catchup=False,
    max_active_runs=1,
    dagrun_timeout=timedelta(hours=36),
    default_args=default_args(execution_timeout=timedelta(hours=6)),
    tags=[*TAGS, "models"],
    doc_md=__doc__,
)
def minsheng_models():
    published = wait_for_published_days()
    train = step_task("train_classifiers")
    # after the classifiers whether they succeeded or not, but never on a month that is not published
    forecast = step_task("forecast", trigger_rule="all_done_min_one_success")
    published >> train >> forecast
    published >> forecast


minsheng_models()

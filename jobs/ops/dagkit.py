"""Building blocks shared by the minsheng DAG files (imports only the Airflow task SDK).

One factory, ``step_task``, makes the task of a step: in the ``local`` execution mode a ``@task``
that runs Spark inside the task process; in the ``spark-submit`` mode (the ``cluster`` profile) a
``SparkSubmitOperator`` that submits the same entry point (``jobs/ops/spark_entry.py``) through the
Airflow connection ``minsheng_spark``. The DAG file is the same; configuration picks the mode:

- ``MINSHENG_AIRFLOW_EXECUTION`` = ``local`` | ``spark-submit``; default ``spark-submit`` when
  ``MINSHENG_PROFILE=cluster``, else ``local``.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

from airflow.sdk import Asset, PokeReturnValue, task
from airflow.sdk.definitions.retry_policy import RetryDecision, RetryPolicy

from jobs.ops.plan import NOT_RETRYABLE, asset_uri, pool_for, tables_written

PROJECT_ROOT = Path(__file__).resolve().parents[2]
SPARK_ENTRY = str(PROJECT_ROOT / "jobs" / "ops" / "spark_entry.py")
SPARK_CONN_ID = "minsheng_spark"
OWNER = "minsheng"
TAGS = ["minsheng", "12345"]


def execution_mode() -> str:
    mode = os.environ.get("MINSHENG_AIRFLOW_EXECUTION", "").strip()
    if not mode:
        mode = "spark-submit" if os.environ.get("MINSHENG_PROFILE") == "cluster" else "local"
    if mode not in ("local", "spark-submit"):
        raise ValueError(f"MINSHENG_AIRFLOW_EXECUTION={mode!r}: use 'local' or 'spark-submit'")
    return mode


class DataErrorPolicy(RetryPolicy):
    """Data problems (a failed quality gate, a PII leak) fail at once; anything else is retried.

    Matches by dotted class name along the exception's MRO, so building the DAG never imports the
    step modules (``ExceptionRetryPolicy`` imports its string specs when constructed: pyspark at
    parse time).
    """

    def __init__(self, names: tuple[str, ...] = NOT_RETRYABLE):
        self.names = tuple(names)

    def evaluate(self, exception, try_number, max_tries, context=None) -> RetryDecision:
        for klass in type(exception).__mro__:
            if f"{klass.__module__}.{klass.__qualname__}" in self.names:
                return RetryDecision.fail(reason=f"{klass.__qualname__}: the data failed a check, "
                                                 "retrying cannot fix it")
        return RetryDecision.default()

    def serialize(self) -> dict:
        return {"names": list(self.names)}

    @classmethod
    def deserialize(cls, data: dict) -> DataErrorPolicy:
        return cls(tuple(data["names"]))


def retry_policy() -> DataErrorPolicy:
    return DataErrorPolicy()


def default_args(execution_timeout: timedelta) -> dict:
    from jobs.ops.failures import record_failure

    return {
        "owner": OWNER,
        "retries": 2,
        "retry_delay": timedelta(minutes=1),
        "retry_exponential_backoff": 2.0,
        "max_retry_delay": timedelta(minutes=15),
        "execution_timeout": execution_timeout,
        "on_failure_callback": record_failure,
        "retry_policy": retry_policy(),
    }


def assets(step: str, channel: str | None = None) -> list[Asset]:
    """The lake tables a step writes, as assets (``x-minsheng://lake/<layer>/<table>``)."""
    return [Asset(name=t, uri=asset_uri(t), group="minsheng") for t in tables_written(step, channel)]


@task.sensor(task_id="wait_for_landing", poke_interval=300, timeout=12 * 3600, mode="reschedule",
             retries=1)
def wait_for_landing(data_interval_start=None, data_interval_end=None) -> PokeReturnValue:
    """Done when the day's required channels have delivered (``jobs.ops.landing``)."""
    from jobs.ops.landing import ready_for_interval

    return PokeReturnValue(*ready_for_interval(data_interval_start, data_interval_end))


@task.sensor(task_id="wait_for_published_days", poke_interval=600, timeout=24 * 3600, mode="reschedule",
             retries=1)
def wait_for_published_days(data_interval_start=None, data_interval_end=None) -> PokeReturnValue:
    """Done when every day of the interval has been processed and published (``jobs.ops.published``)."""
    from jobs.ops.published import published_for_interval

    return PokeReturnValue(*published_for_interval(data_interval_start, data_interval_end))


@task
def _interval_task(step: str, channel: str | None = None, data_interval_start=None, data_interval_end=None):
    from jobs.ops.tasks import run_for_interval

    return run_for_interval(step, data_interval_start, data_interval_end, channel=channel)


@task
def _range_task(step: str, channel: str | None = None, params=None):
    from jobs.ops.tasks import run_range

    return run_range(step, params["date_from"], params["date_to"], params["chunk_days"], channel=channel)


def step_task(step: str, *, channel: str | None = None, ranged: bool = False, trigger_rule: str = "all_success",
              depends_on_past: bool = False):
    """The task running ``step`` (for one channel) over the data interval, or the backfill's range."""
    task_id = f"{step}_{channel}" if channel else step
    common = {"task_id": task_id, "pool": pool_for(step, channel), "outlets": assets(step, channel),
              "trigger_rule": trigger_rule, "depends_on_past": depends_on_past}
    if execution_mode() == "spark-submit":
        from airflow.providers.apache.spark.operators.spark_submit import SparkSubmitOperator

        from jobs.common.jars import core_jars

        args = [step, *(["--channel", channel] if channel else [])]
        if ranged:
            args += ["--from", "{{ params.date_from }}", "--to", "{{ params.date_to }}",
                     "--chunk-days", "{{ params.chunk_days }}"]
        else:
            args += ["--interval-start", "{{ data_interval_start.isoformat() }}",
                     "--interval-end", "{{ data_interval_end.isoformat() }}"]
        # The JARs go on the submit command, as infra/spark-submit.sh puts them: the driver JVM is
        # running before the session factory is called, so a ``spark.jars`` set there reaches the
        # executors but not the driver's class path (no Delta extension, no S3A file system).
        return SparkSubmitOperator(
            application=SPARK_ENTRY, application_args=args, conn_id=SPARK_CONN_ID,
            jars=",".join(str(j) for j in core_jars()),
            name=f"minsheng-{task_id}", env_vars={"MINSHENG_PROFILE": os.environ.get("MINSHENG_PROFILE", "cluster")},
            **common,
        )
    factory = _range_task if ranged else _interval_task
    return factory.override(**common)(step, channel)

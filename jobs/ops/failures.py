"""The failure callback of every minsheng task: records the failure in ``ops_task_failure``.

One row per failed try, keyed by (dag_id, run_id, task_id, map_index, try_number), written by MERGE so
that a callback delivered twice records once. The callback never raises: a failure to record is
logged, and the task's own failure stays what Airflow reports.
"""

from __future__ import annotations

import logging
import traceback
from datetime import UTC, date, datetime
from typing import Any

from jobs.ops.days import interval_days

log = logging.getLogger("minsheng.ops")
TABLE = "ops_task_failure"


def _utc_naive(value: datetime | None) -> datetime | None:
    """A plain ``datetime`` in UTC without tzinfo (pendulum's subclass is refused by Spark)."""
    if value is None:
        return None
    if value.tzinfo is not None:
        value = value.astimezone(UTC)
    return datetime(value.year, value.month, value.day, value.hour, value.minute, value.second, value.microsecond)


def failure_row(context: dict[str, Any]) -> dict[str, Any]:
    """The ``ops_task_failure`` row for an Airflow task context (pure; for tests)."""
    ti = context.get("ti") or context.get("task_instance")
    exc = context.get("exception")
    start, end = context.get("data_interval_start"), context.get("data_interval_end")
    day_from = day_to = None
    if start is not None and end is not None:
        day_from, day_to = interval_days(start, end)
    params = context.get("params") or {}
    if day_from is None and params.get("date_from"):
        day_from, day_to = date.fromisoformat(str(params["date_from"])), date.fromisoformat(str(params["date_to"]))
    message = str(exc) if exc is not None else "task failed (no exception in context)"
    tb = "".join(traceback.format_exception(exc)) if isinstance(exc, BaseException) else ""
    failed_at = getattr(ti, "end_date", None) or datetime.now(UTC)  # ops metadata, not task logic
    return {
        "dag_id": str(getattr(ti, "dag_id", context.get("dag").dag_id if context.get("dag") else "")),
        "run_id": str(getattr(ti, "run_id", context.get("run_id", ""))),
        "task_id": str(getattr(ti, "task_id", "")),
        "map_index": int(getattr(ti, "map_index", -1) if getattr(ti, "map_index", None) is not None else -1),
        "try_number": int(getattr(ti, "try_number", 0) or 0),
        "data_interval_start": _utc_naive(start),
        "data_interval_end": _utc_naive(end),
        "day_from": day_from,
        "day_to": day_to,
        "exception_type": type(exc).__module__ + "." + type(exc).__qualname__ if exc is not None else None,
        "message": message[:4000],
        "traceback": tb[-8000:],
        "failed_at": _utc_naive(failed_at),
    }


def _schema():
    from pyspark.sql import types as T

    return T.StructType([
        T.StructField("dag_id", T.StringType(), False),
        T.StructField("run_id", T.StringType(), False),
        T.StructField("task_id", T.StringType(), False),
        T.StructField("map_index", T.IntegerType(), False),
        T.StructField("try_number", T.IntegerType(), False),
        T.StructField("data_interval_start", T.TimestampNTZType(), True),
        T.StructField("data_interval_end", T.TimestampNTZType(), True),
        T.StructField("day_from", T.DateType(), True),
        T.StructField("day_to", T.DateType(), True),
        T.StructField("exception_type", T.StringType(), True),
        T.StructField("message", T.StringType(), True),
        T.StructField("traceback", T.StringType(), True),
        T.StructField("failed_at", T.TimestampNTZType(), True),
    ])


def write_failure(row: dict[str, Any], settings=None) -> None:
    """MERGE one failure row into ``ops_task_failure`` (created on first use)."""
    from jobs.common import delta
    from jobs.common.catalogue import Catalogue
    from jobs.common.session import get_spark

    spark = get_spark(settings)
    cat = Catalogue(settings)
    df = spark.createDataFrame([tuple(row[f.name] for f in _schema())], _schema())
    delta.merge(df, cat, TABLE)


def record_failure(context: dict[str, Any]) -> None:
    """Airflow ``on_failure_callback``: log a clear message and record the failure."""
    try:
        row = failure_row(context)
    except Exception:  # never let the callback hide the task's own failure
        log.exception("minsheng: could not describe the failed task")
        return
    log.error(
        "minsheng: task %s.%s failed (run %s, try %s, days %s..%s): %s: %s — recorded in %s",
        row["dag_id"], row["task_id"], row["run_id"], row["try_number"], row["day_from"], row["day_to"],
        row["exception_type"], row["message"], TABLE,
    )
    try:
        write_failure(row)
    except Exception:
        log.exception("minsheng: could not record the failure of %s.%s in %s", row["dag_id"], row["task_id"], TABLE)


def read_failures(spark, cat, dag_id: str | None = None):
    """The recorded failures (optionally of one DAG), newest first."""
    from pyspark.sql import functions as F

    if not cat.exists(spark, TABLE):
        return spark.createDataFrame([], _schema())
    df = cat.read(spark, TABLE)
    if dag_id:
        df = df.where(F.col("dag_id") == dag_id)
    return df.orderBy(F.col("failed_at").desc())

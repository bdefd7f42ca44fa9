"""Deadlines on the working-day calendar (法定节假日 and 调休 included), as Spark column logic.

A deadline rule is a value and a unit (``natural_hours``, ``natural_days`` or ``working_days``).
For working days the deadline is the end (23:59:59) of the *n*-th working day after the day of the
start time, so an order accepted on a Friday evening with 2 working days is due at the end of
Tuesday, and one accepted during the Spring Festival is counted from the first working day after it.
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

UNITS = ("natural_hours", "natural_days", "working_days")


def add_deadline(
    df: DataFrame,
    calendar: DataFrame,
    start_col: str,
    value_col: str,
    unit_col: str,
    out_col: str,
) -> DataFrame:
    """Add ``out_col`` = ``start_col`` + (``value_col`` in ``unit_col``) to every row of ``df``.

    Args:
        calendar: ``ref_calendar`` (date, is_workday, workday_index).
    """
    cal = F.broadcast(calendar.select(F.col("date").alias("_wt_date"), F.col("workday_index").alias("_wt_idx")))
    workdays = F.broadcast(
        calendar.filter("is_workday").select(
            F.col("workday_index").alias("_wt_target"), F.col("date").alias("_wt_due_date")
        )
    )
    start = F.col(start_col)
    with_idx = df.join(cal, F.to_date(start) == F.col("_wt_date"), "left")
    target = F.when(F.col(unit_col) == "working_days", F.col("_wt_idx") + F.col(value_col).cast("int"))
    with_target = with_idx.withColumn("_wt_target_idx", target)
    joined = with_target.join(workdays, F.col("_wt_target_idx") == F.col("_wt_target"), "left")
    seconds = F.col(value_col).cast("double") * F.when(F.col(unit_col) == "natural_hours", 3600).otherwise(86400)
    natural: Column = F.timestamp_seconds(F.unix_timestamp(start) + seconds.cast("long"))
    working: Column = F.to_timestamp(F.concat(F.col("_wt_due_date").cast("string"), F.lit(" 23:59:59")))
    due = F.when(F.col(unit_col) == "working_days", working).otherwise(natural)
    return joined.withColumn(out_col, due).drop("_wt_date", "_wt_idx", "_wt_target", "_wt_due_date", "_wt_target_idx")

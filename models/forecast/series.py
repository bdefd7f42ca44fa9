"""Daily count series: complete (zero-filled) grids of order counts per series key."""

from __future__ import annotations

import datetime as dt

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

#: Series levels: name -> grouping columns of ``dwd_work_order``.
LEVELS: dict[str, tuple[str, ...]] = {
    "district_l1": ("district_code", "category_l1_code"),
    "city_l2": ("category_l2_code",),
    "district_l2": ("district_code", "category_l2_code"),
    "street_l3": ("street_code", "category_l3_code"),
    "city_l3": ("category_l3_code",),
    "city": (),
}
#: the series key of the one series of level ``city`` (every order of the city)
CITY_KEY = "all"

SERIES_COLUMNS = ("level", "series_key", "series_id", "ds", "y")


def valid_orders(orders: DataFrame) -> DataFrame:
    """Orders that count in statistics (``is_valid`` when the column exists)."""
    if "is_valid" in orders.columns:
        return orders.where(F.coalesce(F.col("is_valid"), F.lit(True)))
    return orders


def daily_counts(orders: DataFrame, level: str, date_from: dt.date, date_to: dt.date) -> DataFrame:
    """Zero-filled daily counts of one level between two dates (inclusive).

    Args:
        orders: work orders with ``accept_date`` and the level's key columns.
        level: one of :data:`LEVELS`.

    Returns:
        ``level, series_key, series_id, ds, y`` — one row per series and day; ``series_key`` joins
        the key values with ``|`` and ``series_id`` is ``level:series_key``. A series exists when it
        has at least one order in the range.
    """
    if level not in LEVELS:
        raise ValueError(f"unknown series level {level!r}; choose one of {sorted(LEVELS)}")
    keys = list(LEVELS[level])
    missing = [c for c in (*keys, "accept_date") if c not in orders.columns]
    if missing:
        raise ValueError(f"orders lack the columns {missing} needed for level {level}")
    in_range = valid_orders(orders).where(F.col("accept_date").between(F.lit(date_from), F.lit(date_to)))
    key_expr = F.concat_ws("|", *[F.coalesce(F.col(k).cast("string"), F.lit("NA")) for k in keys]) if keys \
        else F.lit(CITY_KEY)
    counted = in_range.groupBy(key_expr.alias("series_key"), F.col("accept_date").alias("ds")).agg(
        F.count(F.lit(1)).cast("double").alias("y")
    )
    return complete_grid(counted, date_from, date_to).select(
        F.lit(level).alias("level"),
        "series_key",
        F.concat(F.lit(f"{level}:"), F.col("series_key")).alias("series_id"),
        "ds",
        "y",
    )


def complete_grid(counted: DataFrame, date_from: dt.date, date_to: dt.date) -> DataFrame:
    """``series_key, ds, y`` with every day of the range present (missing days → 0)."""
    spark = counted.sparkSession
    days = spark.range(1).select(
        F.explode(F.sequence(F.lit(date_from), F.lit(date_to), F.expr("interval 1 day"))).alias("ds")
    )
    keys = counted.select("series_key").distinct()
    return (
        keys.crossJoin(days)
        .join(counted, ["series_key", "ds"], "left")
        .select("series_key", "ds", F.coalesce(F.col("y"), F.lit(0.0)).alias("y"))
    )


def from_pandas_series(spark, pdf, series_id: str = "real:tipdm", level: str = "real") -> DataFrame:
    """A Spark series frame from a pandas frame with ``ds`` (date) and ``y`` (count) columns."""
    import pandas as pd

    out = pd.DataFrame({
        "level": level,
        "series_key": series_id.split(":", 1)[-1],
        "series_id": series_id,
        "ds": pd.to_datetime(pdf["ds"]).dt.date,
        "y": pdf["y"].astype(float),
    })
    return spark.createDataFrame(out, "level string, series_key string, series_id string, ds date, y double")

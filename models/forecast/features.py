"""Calendar and lag features for the global (direct, multi-horizon) forecasting model.

A training row is ``(series, origin T, target day t = T + h)``. Everything a row knows about the
series is computed from days ``<= T`` (no look-ahead): recent level (7/28-day means), the weekday
profile of the last four weeks and last year's level around ``t`` (when a year of history exists).
The target is the count at ``t`` divided by the series scale (28-day mean at ``T``), so one model
serves series of very different sizes.
"""

from __future__ import annotations

import datetime as dt
import math

from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F

FEATURES = (
    "h", "dow", "month", "doy_sin", "doy_cos", "is_workday", "is_holiday", "is_makeup", "is_weekend",
    "prof", "ann", "has_ann", "recent", "log_level", "hol_in_window",
)
EPS = 0.5


def calendar_days(calendar: DataFrame | None, spark, date_from: dt.date, date_to: dt.date) -> DataFrame:
    """``ds, is_workday, is_holiday, is_makeup`` for every day of the range.

    Uses ``ref_calendar`` (statutory holidays and 调休 make-up days) where it covers a day, and the
    plain weekday rule elsewhere (e.g. for real data older than the calendar).
    """
    days = spark.range(1).select(
        F.explode(F.sequence(F.lit(date_from), F.lit(date_to), F.expr("interval 1 day"))).alias("ds")
    )
    weekend = F.dayofweek("ds").isin(1, 7)
    if calendar is None:
        return days.select(
            "ds", (~weekend).alias("is_workday"), F.lit(False).alias("is_holiday"), F.lit(False).alias("is_makeup")
        )
    cal = calendar.select(F.col("date").alias("ds"), "is_workday", "day_type")
    return days.join(cal, "ds", "left").select(
        "ds",
        F.coalesce(F.col("is_workday"), ~weekend).alias("is_workday"),
        F.coalesce(F.col("day_type") == "holiday", F.lit(False)).alias("is_holiday"),
        F.coalesce(F.col("day_type") == "makeup_workday", F.lit(False)).alias("is_makeup"),
    )


def history_stats(series: DataFrame) -> DataFrame:
    """Per ``(series_id, ds)``: what is known at the end of day ``ds`` (complete daily grids only)."""
    w = Window.partitionBy("series_id").orderBy("ds")
    last7 = w.rowsBetween(-6, 0)
    last28 = w.rowsBetween(-27, 0)
    centred7 = w.rowsBetween(-3, 3)
    dow = F.dayofweek("ds")
    cols = [
        F.avg("y").over(last7).alias("m7"),
        F.avg("y").over(last28).alias("m28"),
        F.count(F.lit(1)).over(w.rowsBetween(Window.unboundedPreceding, 0)).alias("n_hist"),
        F.avg("y").over(centred7).alias("c7"),
    ]
    cols += [F.sum(F.when(dow == k, F.col("y")).otherwise(0.0)).over(last28).alias(f"dsum{k}") for k in range(1, 8)]
    return series.select("series_id", "ds", "y", *cols)


def design(series: DataFrame, days: DataFrame, origins: DataFrame, horizon: int) -> DataFrame:
    """Feature rows for every series × origin × horizon ``1..horizon``.

    Args:
        series: complete daily grids ``series_id, ds, y``.
        days: :func:`calendar_days` covering the series and ``horizon`` days past its end.
        origins: ``origin`` dates (forecast made at the end of that day).

    Returns:
        ``series_id, origin, ds, h, scale, <FEATURES>, y`` (``y`` null past the data).
    """
    stats = history_stats(series)
    at_origin = stats.join(F.broadcast(origins.withColumnRenamed("origin", "ds")), "ds").select(
        "series_id",
        F.col("ds").alias("origin"),
        F.greatest(F.col("m28"), F.lit(EPS)).alias("scale"),
        "m7", "m28",
        F.array(*[((F.col(f"dsum{k}") / 4.0 + 0.1) / (F.col("m28") + 0.1)) for k in range(1, 8)]).alias("prof_arr"),
    )
    year_ago = stats.select(
        "series_id", F.date_add("ds", 364).alias("ds_next_year"), F.col("c7").alias("c7_ly"),
        F.col("m28").alias("m28_ly_at"),
    )
    hs = origins.sparkSession.range(1, horizon + 1).select(F.col("id").cast("int").alias("h"))
    rows = at_origin.crossJoin(F.broadcast(hs)).withColumn("ds", F.date_add("origin", F.col("h")))
    # last year's level around t, relative to last year's level at T
    ly_t = year_ago.select("series_id", F.col("ds_next_year").alias("ds"), "c7_ly")
    ly_o = year_ago.select("series_id", F.col("ds_next_year").alias("origin"), F.col("m28_ly_at").alias("m28_ly"))
    hol = days.select(F.col("ds").alias("origin"), "is_holiday").withColumn("hw", F.col("is_holiday").cast("int"))
    w28 = Window.orderBy("origin").rowsBetween(-27, 0)
    hol_window = hol.select("origin", F.sum("hw").over(w28).alias("hol_in_window"))
    dow = F.dayofweek("ds")
    doy = F.dayofyear("ds")
    out = (
        rows.join(ly_t, ["series_id", "ds"], "left")
        .join(ly_o, ["series_id", "origin"], "left")
        .join(F.broadcast(days), "ds", "left")
        .join(F.broadcast(hol_window), "origin", "left")
        .join(series.select("series_id", "ds", "y"), ["series_id", "ds"], "left")
    )
    has_ann = F.col("c7_ly").isNotNull() & F.col("m28_ly").isNotNull()
    return out.select(
        "series_id", "origin", "ds", "h", "scale",
        F.col("h").cast("double").alias("h_d"),
        dow.cast("double").alias("dow"),
        F.month("ds").cast("double").alias("month"),
        F.sin(doy * (2 * math.pi / 365.25)).alias("doy_sin"),
        F.cos(doy * (2 * math.pi / 365.25)).alias("doy_cos"),
        F.coalesce(F.col("is_workday"), ~dow.isin(1, 7)).cast("double").alias("is_workday"),
        F.coalesce(F.col("is_holiday"), F.lit(False)).cast("double").alias("is_holiday"),
        F.coalesce(F.col("is_makeup"), F.lit(False)).cast("double").alias("is_makeup"),
        dow.isin(1, 7).cast("double").alias("is_weekend"),
        F.element_at("prof_arr", dow).alias("prof"),
        F.when(has_ann, (F.col("c7_ly") + 0.1) / (F.col("m28_ly") + 0.1)).otherwise(1.0).alias("ann"),
        has_ann.cast("double").alias("has_ann"),
        ((F.col("m7") + 0.1) / (F.col("m28") + 0.1)).alias("recent"),
        F.log1p("m28").alias("log_level"),
        F.coalesce(F.col("hol_in_window"), F.lit(0)).cast("double").alias("hol_in_window"),
        "y",
    ).withColumn("h", F.col("h").cast("int")).drop("h_d").withColumn("h_feat", F.col("h").cast("double"))


FEATURE_COLUMNS = [f if f != "h" else "h_feat" for f in FEATURES]

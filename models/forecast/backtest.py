"""Rolling-origin backtest: every family against seasonal-naive, by MASE and sMAPE."""

from __future__ import annotations

import datetime as dt

from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F

from models.forecast import gbt, stats

SEASON = 7


def backtest_origins(last_day: dt.date, horizon: int, windows: int) -> list[dt.date]:
    """Origins so that the last window's horizon ends on ``last_day``; windows are ``horizon`` apart."""
    last_origin = last_day - dt.timedelta(days=horizon)
    return [last_origin - dt.timedelta(days=horizon * k) for k in reversed(range(windows))]


def seasonal_naive(series: DataFrame, origins: list[dt.date], horizon: int) -> DataFrame:
    """``yhat(T+h) = y(T - 7 + ((h-1) mod 7) + 1)``: the last observed week repeated."""
    spark = series.sparkSession
    o = spark.createDataFrame([(d,) for d in origins], "origin date")
    hs = spark.range(1, horizon + 1).select(F.col("id").cast("int").alias("h"))
    grid = series.select("series_id").distinct().crossJoin(o).crossJoin(hs)
    grid = grid.withColumn("ds", F.date_add("origin", "h")).withColumn(
        "src", F.date_add("origin", ((F.col("h") - 1) % SEASON) + 1 - SEASON)
    )
    src = series.select("series_id", F.col("ds").alias("src"), F.col("y").alias("yhat"))
    return grid.join(src, ["series_id", "src"], "left").select(
        "series_id", "origin", "ds", "h", F.lit("snaive").alias("family"), "yhat",
        F.lit(None).cast("double").alias("lo"), F.lit(None).cast("double").alias("hi"),
    )


def mase_scale(series: DataFrame, origins: list[dt.date]) -> DataFrame:
    """Per series and origin: in-sample MAE of the seasonal-naive one-step forecast up to the origin."""
    w = Window.partitionBy("series_id").orderBy("ds")
    diffs = series.select(
        "series_id", "ds", F.abs(F.col("y") - F.lag("y", SEASON).over(w)).alias("ad")
    )
    cum = diffs.select(
        "series_id", F.col("ds").alias("origin"),
        F.avg("ad").over(w.rowsBetween(Window.unboundedPreceding, 0)).alias("scale"),
    )
    o = series.sparkSession.createDataFrame([(d,) for d in origins], "origin date")
    return cum.join(F.broadcast(o), "origin")


def gbt_backtest(series: DataFrame, days: DataFrame, origins: list[dt.date], horizon: int,
                 params: dict | None = None) -> DataFrame:
    """Refit the global model at each origin (data up to the origin only) and forecast."""
    parts = []
    for origin in origins:
        model = gbt.fit(series, days, origin, horizon, params)
        parts.append(gbt.predict(model, series, days, origin, horizon))
    out = parts[0]
    for p in parts[1:]:
        out = out.unionByName(p)
    return out.select(
        "series_id", "origin", "ds", "h", F.lit("gbt").alias("family"), "yhat",
        F.lit(None).cast("double").alias("lo"), F.lit(None).cast("double").alias("hi"),
    )


def score(forecasts: DataFrame, series: DataFrame, origins: list[dt.date]) -> DataFrame:
    """Per series × origin × family: MASE and sMAPE over the horizon (series with scale 0 are left out)."""
    actual = series.select("series_id", "ds", "y")
    scale = mase_scale(series, origins)
    err = forecasts.join(actual, ["series_id", "ds"]).select(
        "series_id", "origin", "family", "h",
        F.abs(F.col("y") - F.col("yhat")).alias("ae"),
        F.when((F.abs("y") + F.abs("yhat")) == 0, 0.0)
        .otherwise(200.0 * F.abs(F.col("y") - F.col("yhat")) / (F.abs("y") + F.abs("yhat"))).alias("sape"),
    )
    per = err.groupBy("series_id", "origin", "family").agg(F.avg("ae").alias("mae"), F.avg("sape").alias("smape"))
    return per.join(scale, ["series_id", "origin"]).where(F.col("scale") > 0).select(
        "series_id", "origin", "family", "mae", "smape", (F.col("mae") / F.col("scale")).alias("mase")
    )


def summarise(scores: DataFrame) -> dict[str, dict[str, float]]:
    """Mean MASE / sMAPE per family (and per level prefix of ``series_id``), plus MASE relative to snaive."""
    lv = F.split("series_id", ":").getItem(0)
    rows = scores.groupBy(lv.alias("level"), "family").agg(
        F.avg("mase").alias("mase"), F.avg("smape").alias("smape"), F.countDistinct("series_id").alias("series")
    ).collect()
    out: dict[str, dict[str, float]] = {}
    for r in rows:
        out.setdefault(r["level"], {})[r["family"]] = {
            "mase": float(r["mase"]), "smape": float(r["smape"]), "series": int(r["series"])
        }
    for fams in out.values():
        base = fams.get("snaive", {}).get("mase")
        for f in fams.values():
            f["mase_vs_snaive"] = f["mase"] / base if base else float("nan")
    return out


def run_backtest(series: DataFrame, days: DataFrame, horizon: int, windows: int,
                 families: tuple[str, ...] = ("gbt", "ets", "mstl"), gbt_params: dict | None = None
                 ) -> tuple[DataFrame, dict]:
    """All families' backtest forecasts (cached) and their summary."""
    last_day = series.agg(F.max("ds")).first()[0]
    origins = backtest_origins(last_day, horizon, windows)
    parts = [seasonal_naive(series, origins, horizon)]
    if "gbt" in families:
        parts.append(gbt_backtest(series, days, origins, horizon, gbt_params))
    if set(families) & set(stats.FAMILIES):
        st = stats.forecast(series, origins, horizon).where(F.col("family").isin(*families))
        parts.append(st)
    fc = parts[0]
    for p in parts[1:]:
        fc = fc.unionByName(p)
    fc = fc.cache()
    scores = score(fc, series, origins).cache()
    return fc, {"origins": [d.isoformat() for d in origins], "scores": scores, "summary": summarise(scores)}

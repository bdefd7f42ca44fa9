"""The global model: Spark ML gradient-boosted trees on :mod:`models.forecast.features` rows."""

from __future__ import annotations

import datetime as dt

from pyspark.ml import Pipeline, PipelineModel
from pyspark.ml.feature import VectorAssembler
from pyspark.ml.regression import GBTRegressor
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from models.forecast.features import FEATURE_COLUMNS, design

DEFAULT_PARAMS = {"maxIter": 60, "maxDepth": 5, "stepSize": 0.1, "subsamplingRate": 0.8, "seed": 7}


def training_origins(spark, first: dt.date, cutoff: dt.date, horizon: int, step: int = 7,
                     warmup: int = 56) -> DataFrame:
    """Origins ``T`` with a full horizon of known targets: every ``step`` days back from ``cutoff - horizon``."""
    last = cutoff - dt.timedelta(days=horizon)
    origins = []
    d = last
    while d >= first + dt.timedelta(days=warmup):
        origins.append((d,))
        d -= dt.timedelta(days=step)
    if not origins:
        raise ValueError(f"not enough history before {cutoff} to train (need > {warmup + horizon} days)")
    return spark.createDataFrame(origins, "origin date")


def _small(rows: DataFrame, limit: int = 200_000) -> bool:
    return rows.limit(limit + 1).count() <= limit


def fit(series: DataFrame, days: DataFrame, cutoff: dt.date, horizon: int, params: dict | None = None,
        step: int = 7) -> PipelineModel:
    """Train on every origin whose horizon ends by ``cutoff`` (data after ``cutoff`` is never seen)."""
    spark = series.sparkSession
    seen = series.where(F.col("ds") <= F.lit(cutoff))
    first = seen.agg(F.min("ds")).first()[0]
    origins = training_origins(spark, first, cutoff, horizon, step)
    rows = design(seen, days, origins, horizon).where(F.col("y").isNotNull())
    rows = rows.withColumn("label", F.col("y") / F.col("scale")).select("label", *FEATURE_COLUMNS)
    # Materialise the design once: GBT scans its input several times and the window plan is deep.
    rows = spark.createDataFrame(rows.toPandas()) if _small(rows) else rows.localCheckpoint()
    gbt = GBTRegressor(featuresCol="features", labelCol="label", **{**DEFAULT_PARAMS, **(params or {})})
    pipeline = Pipeline(stages=[VectorAssembler(inputCols=FEATURE_COLUMNS, outputCol="features"), gbt])
    return pipeline.fit(rows)


def predict(model: PipelineModel, series: DataFrame, days: DataFrame, origin: dt.date, horizon: int) -> DataFrame:
    """``series_id, origin, ds, h, yhat`` for the ``horizon`` days after ``origin``."""
    spark = series.sparkSession
    origins = spark.createDataFrame([(origin,)], "origin date")
    rows = design(series.where(F.col("ds") <= F.lit(origin)), days, origins, horizon)
    scored = model.transform(rows)
    return scored.select(
        "series_id", "origin", "ds", "h", F.greatest(F.col("prediction") * F.col("scale"), F.lit(0.0)).alias("yhat")
    )

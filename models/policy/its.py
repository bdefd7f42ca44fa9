"""Interrupted time series: Poisson regression of daily counts with a level change at the policy date.

``log E[y_t] = a + b·t + Σ weekday + holiday + c·sin/cos(day of year) + β·post_t (+ γ·(t - t0)·post_t)``

The effect is ``exp(β) - 1`` (relative change of the daily volume at the policy date), with a
confidence interval from heteroscedasticity- and autocorrelation-robust (Newey–West, 7 lags) errors.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import math
from typing import Any

import numpy as np
import pandas as pd
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from jobs.common.config import Settings

log = logging.getLogger(__name__)


def category_daily(orders: DataFrame, category_code: str, date_from: dt.date, date_to: dt.date) -> DataFrame:
    """``ds, y``: city-wide daily orders whose L1/L2/L3 code equals ``category_code`` (zero-filled)."""
    col = {2: "category_l1_code", 4: "category_l2_code", 6: "category_l3_code"}.get(len(category_code))
    if col is None:
        raise ValueError(f"category code {category_code!r} is not an L1 (2), L2 (4) or L3 (6 digit) code")
    spark = orders.sparkSession
    days = spark.range(1).select(
        F.explode(F.sequence(F.lit(date_from), F.lit(date_to), F.expr("interval 1 day"))).alias("ds")
    )
    counts = orders.where((F.col(col) == category_code) & F.col("accept_date").between(F.lit(date_from), F.lit(date_to)))
    if "is_valid" in orders.columns:
        counts = counts.where(F.coalesce(F.col("is_valid"), F.lit(True)))
    counts = counts.groupBy(F.col("accept_date").alias("ds")).agg(F.count(F.lit(1)).cast("double").alias("y"))
    return days.join(counts, "ds", "left").select("ds", F.coalesce("y", F.lit(0.0)).alias("y")).orderBy("ds")


def estimate(daily: pd.DataFrame, policy_date: dt.date, holidays: set[dt.date] | None = None,
             slope_change: bool = False, alpha: float = 0.05) -> dict[str, Any]:
    """Fit the ITS model on a pandas ``ds, y`` frame; the effect and its ``1 - alpha`` interval.

    Raises:
        ValueError: fewer than 28 days on either side of the policy date.
    """
    import statsmodels.api as sm
    from scipy.stats import norm

    d = daily.copy()
    d["ds"] = pd.to_datetime(d["ds"])
    t0 = pd.Timestamp(policy_date)
    before, after = int((d["ds"] < t0).sum()), int((d["ds"] >= t0).sum())
    if before < 28 or after < 28:
        raise ValueError(f"ITS needs >= 28 days on each side of {policy_date}: have {before} before, {after} after")
    t = (d["ds"] - d["ds"].min()).dt.days.to_numpy(dtype=float)
    post = (d["ds"] >= t0).to_numpy(dtype=float)
    X = pd.DataFrame({"const": 1.0, "trend": t / 365.0, "post": post}, index=d.index)
    if slope_change:
        X["post_trend"] = post * (t - t[np.argmax(post)]) / 365.0
    doy = d["ds"].dt.dayofyear.to_numpy(dtype=float)
    if len(d) >= 300:
        X["sin1"], X["cos1"] = np.sin(2 * np.pi * doy / 365.25), np.cos(2 * np.pi * doy / 365.25)
    for k in range(1, 7):
        X[f"dow{k}"] = (d["ds"].dt.dayofweek == k).astype(float)
    hol = {pd.Timestamp(h) for h in (holidays or set())}
    if hol:
        X["holiday"] = d["ds"].isin(hol).astype(float)
    fit = sm.GLM(d["y"].to_numpy(dtype=float), X, family=sm.families.Poisson()).fit(
        cov_type="HAC", cov_kwds={"maxlags": 7}
    )
    beta, se = float(fit.params["post"]), float(fit.bse["post"])
    z = float(norm.ppf(1 - alpha / 2))
    pre_mean = float(d.loc[d["ds"] < t0, "y"].mean())
    return {
        "policy_date": policy_date.isoformat(),
        "days_before": before,
        "days_after": after,
        "relative_effect": math.exp(beta) - 1,
        "relative_effect_lo": math.exp(beta - z * se) - 1,
        "relative_effect_hi": math.exp(beta + z * se) - 1,
        "level_change_per_day": pre_mean * (math.exp(beta) - 1),
        "pre_mean_per_day": pre_mean,
        "post_mean_per_day": float(d.loc[d["ds"] >= t0, "y"].mean()),
        "confidence": 1 - alpha,
        "slope_change": slope_change,
        "method": "Poisson GLM, Newey-West (7 lags) errors",
    }


def run(category_code: str, policy_date: dt.date, date_from: dt.date, date_to: dt.date,
        settings: Settings | None = None) -> dict[str, Any]:
    """Estimate the policy effect from ``dwd_work_order`` and keep it in ``gold_policy_evaluation``."""
    from jobs.common import delta
    from jobs.common.catalogue import Catalogue
    from jobs.common.session import get_spark

    cat = Catalogue(settings)
    spark = get_spark(cat.settings, app_name="minsheng-policy")
    daily = category_daily(cat.read(spark, "dwd_work_order"), category_code, date_from, date_to).toPandas()
    holidays: set[dt.date] = set()
    if cat.exists(spark, "ref_calendar"):
        holidays = {r["date"] for r in cat.read(spark, "ref_calendar").where(F.col("day_type") == "holiday")
                    .select("date").collect()}
    result = estimate(daily, policy_date, holidays)
    result.update({"category_code": category_code, "date_from": date_from.isoformat(), "date_to": date_to.isoformat()})
    row = spark.createDataFrame(
        [(category_code, policy_date, date_from, date_to, result["relative_effect"], result["relative_effect_lo"],
          result["relative_effect_hi"], result["level_change_per_day"], json.dumps(result, ensure_ascii=False))],
        "category_code string, policy_date date, date_from date, date_to date, relative_effect double, "
        "relative_effect_lo double, relative_effect_hi double, level_change_per_day double, detail_json string",
    )
    delta.merge(row, cat, "gold_policy_evaluation")
    result["version"] = delta.current_version(spark, cat, "gold_policy_evaluation")
    log.info("policy evaluation: %s", json.dumps(result, ensure_ascii=False))
    return result

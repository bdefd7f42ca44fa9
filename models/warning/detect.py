"""Warning detection over daily count series (pure Spark transforms, every day of a range at once).

Three detectors, each per series level (``street_l3``, ``district_l2``, ``city_l3``):

- ``burst``: the day's count against a robust seasonal baseline — the median and MAD (×1.4826) of the
  same weekday over the previous 8 weeks (domain-standard §7(c)G 异常指数 ``z``). A warning needs
  ``z >= z_min``, a minimum count and a Poisson upper-tail probability below ``10^-p_min`` with
  ``λ = max(median, 8-week mean)`` — the last keeps the false-alarm count down when thousands of
  sparse series are tested every day.
- ``new_issue``: a series with no order in the 8-week baseline window and ``>= n_new`` in the last 3 days.
- ``slow_trend``: the last 14 days against the 8 weeks before them (Poisson tail on the 14-day sum),
  with the last week above the week before.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

BASELINE_WEEKS = 8


@dataclass(frozen=True)
class WarningConfig:
    """Thresholds; the defaults are the ones scored in the README."""

    z_min: float = 3.0
    p_min: float = 7.0           # -log10 of the Poisson upper-tail probability
    n_min_street: int = 5
    n_min_district: int = 8
    n_new: int = 4
    slow_n_min: int = 12
    slow_p_min: float = 7.0
    slow_growth: float = 1.3     # last week vs the week before

    def as_dict(self) -> dict:
        return asdict(self)


def _log_factorial(n: Column) -> Column:
    """Stirling's series for ``log(n!)`` (exact enough for tail probabilities; 0 for n = 0)."""
    n_ = n.cast("double")
    stirling = n_ * F.log(n_) - n_ + 0.5 * F.log(2 * math.pi * n_) + 1.0 / (12.0 * n_)
    return F.when(n_ < 1, F.lit(0.0)).otherwise(stirling)


def poisson_tail_log10(n: Column, lam: Column) -> Column:
    """``-log10 P(X >= n)`` for ``X ~ Poisson(lam)`` (0 when ``n <= lam``).

    Uses ``P(X >= n) ≈ P(X = n) / (1 - lam / (n + 1))``, tight in the upper tail.
    """
    n_ = n.cast("double")
    log_pmf = n_ * F.log(lam) - lam - _log_factorial(n_)
    log_tail = log_pmf - F.log(1.0 - lam / (n_ + 1.0))
    return F.when(n_ <= lam, F.lit(0.0)).otherwise(-log_tail / math.log(10.0))


def _median(arr: Column) -> Column:
    s = F.array_sort(arr)
    n = F.size(s)
    lo = F.element_at(s, F.floor((n + 1) / 2).cast("int"))
    hi = F.element_at(s, F.floor(n / 2 + 1).cast("int"))
    return F.when(n == 0, F.lit(None)).otherwise((lo + hi) / 2.0)


def baseline(series: DataFrame) -> DataFrame:
    """Per ``(series_id, ds)``: robust same-weekday baseline and window sums (from days before ``ds``).

    Input: complete daily grids ``level, series_key, series_id, ds, y``.
    """
    by_day = Window.partitionBy("series_id").orderBy("ds")
    same_wd = Window.partitionBy("series_id", F.dayofweek("ds")).orderBy("ds").rowsBetween(-BASELINE_WEEKS, -1)
    hist = F.collect_list("y").over(same_wd)
    out = series.select(
        "*",
        hist.alias("sw_hist"),
        F.avg("y").over(by_day.rowsBetween(-7 * BASELINE_WEEKS, -1)).alias("mean56"),
        F.sum("y").over(by_day.rowsBetween(-7 * BASELINE_WEEKS, -1)).alias("sum56"),
        F.count(F.lit(1)).over(by_day.rowsBetween(-7 * BASELINE_WEEKS, -1)).alias("days_hist"),
        F.sum("y").over(by_day.rowsBetween(-2, 0)).alias("sum3"),
        F.sum("y").over(by_day.rowsBetween(-13, 0)).alias("sum14"),
        F.sum("y").over(by_day.rowsBetween(-6, 0)).alias("sum7"),
        F.sum("y").over(by_day.rowsBetween(-13, -7)).alias("sum7_prev"),
        F.avg("y").over(by_day.rowsBetween(-13 - 7 * BASELINE_WEEKS, -14)).alias("mean_before14"),
        F.count(F.lit(1)).over(by_day.rowsBetween(-13 - 7 * BASELINE_WEEKS, -14)).alias("days_before14"),
        F.collect_list("y").over(by_day.rowsBetween(-13, 0)).alias("recent14"),
    )
    med = _median(F.col("sw_hist"))
    mad = _median(F.transform("sw_hist", lambda x: F.abs(x - med)))
    return out.withColumn("mu", med).withColumn("mad", mad).drop("sw_hist")


def detect(series: DataFrame, cfg: WarningConfig, date_from, date_to) -> DataFrame:
    """Warnings of every kind for the days in ``[date_from, date_to]`` (the series start earlier).

    Returns:
        ``warn_date, kind, level, series_key, count, baseline, sigma, z, score, recent14``.
    """
    b = baseline(series).where(F.col("ds").between(F.lit(date_from), F.lit(date_to)))
    full_hist = F.col("days_hist") >= 7 * BASELINE_WEEKS
    n_min = F.when(F.col("level").startswith("street"), cfg.n_min_street).otherwise(cfg.n_min_district)
    lam = F.greatest(F.col("mu"), F.col("mean56"), F.lit(0.05))
    sigma = F.greatest(1.4826 * F.col("mad"), F.sqrt(lam), F.lit(1.0))
    z = (F.col("y") - F.col("mu")) / sigma
    p_burst = poisson_tail_log10(F.col("y"), lam)
    burst = b.where(full_hist & (F.col("y") >= n_min)).select(
        "*", z.alias("z"), p_burst.alias("score"), sigma.alias("sigma"), lam.alias("lam")
    ).where((F.col("z") >= cfg.z_min) & (F.col("score") >= cfg.p_min)).select(
        F.col("ds").alias("warn_date"), F.lit("burst").alias("kind"), "level", "series_key",
        F.col("y").alias("count"), F.col("mu").alias("baseline"), "sigma", "z", "score", "recent14",
    )
    new = b.where(full_hist & (F.col("sum56") == 0) & (F.col("sum3") >= cfg.n_new)).select(
        F.col("ds").alias("warn_date"), F.lit("new_issue").alias("kind"), "level", "series_key",
        F.col("sum3").alias("count"), F.lit(0.0).alias("baseline"), F.lit(1.0).alias("sigma"),
        F.col("sum3").alias("z"), poisson_tail_log10(F.col("sum3"), F.lit(3 * 0.05)).alias("score"), "recent14",
    )
    lam14 = F.greatest(F.col("mean_before14") * 14.0, F.lit(0.5))
    slow_ok = (
        (F.col("days_before14") >= 7 * BASELINE_WEEKS)
        & (F.col("sum14") >= cfg.slow_n_min)
        & (F.col("sum7") >= cfg.slow_growth * F.col("sum7_prev"))
    )
    slow = b.where(slow_ok).select(
        "*", poisson_tail_log10(F.col("sum14"), lam14).alias("score"), lam14.alias("lam14")
    ).where(F.col("score") >= cfg.slow_p_min).select(
        F.col("ds").alias("warn_date"), F.lit("slow_trend").alias("kind"), "level", "series_key",
        F.col("sum14").alias("count"), F.col("lam14").alias("baseline"), F.sqrt("lam14").alias("sigma"),
        ((F.col("sum14") - F.col("lam14")) / F.sqrt("lam14")).alias("z"), "score", "recent14",
    )
    return burst.unionByName(new).unionByName(slow)


def episodes(warnings: DataFrame, gap_days: int = 2) -> DataFrame:
    """Group consecutive warning days of one (kind, level, series) into episodes; add ``status``.

    A day starts a new episode when the previous warning of the same series is more than ``gap_days``
    days before it. ``status`` is ``new`` on an episode's first day and ``ongoing`` after it.
    """
    w = Window.partitionBy("kind", "level", "series_key").orderBy("warn_date")
    prev = F.lag("warn_date").over(w)
    starts = warnings.withColumn(
        "is_start", prev.isNull() | (F.datediff("warn_date", prev) > gap_days)
    ).withColumn("episode_start", F.when(F.col("is_start"), F.col("warn_date")))
    starts = starts.withColumn(
        "episode_start", F.last("episode_start", ignorenulls=True).over(w.rowsBetween(Window.unboundedPreceding, 0))
    )
    return starts.select(
        "*",
        F.concat_ws(":", "kind", "level", "series_key", F.date_format("episode_start", "yyyyMMdd")).alias("episode_id"),
        F.when(F.col("is_start"), "new").otherwise("ongoing").alias("status"),
    ).drop("is_start")

"""Warning detection over daily count series (pure Spark transforms, every day of a range at once).

Three detectors, each per series level (``street_l3``, ``district_l2``, ``city_l3``):

- ``burst``: the day's count against a robust seasonal baseline — the median and MAD (×1.4826) of the
  same weekday over the previous 8 weeks (domain-standard §7(c)G 异常指数 ``z``). A warning needs
  ``z >= z_min``, a minimum count and a Poisson upper-tail probability below ``10^-p_min`` with
  ``λ = max(median, 8-week mean)`` — the last keeps the false-alarm count down when thousands of
  sparse series are tested every day.
- ``new_issue``: a series with no order in the 8-week baseline window and ``>= n_new`` in the last 3 days.
- ``slow_trend``: the last 14 days against the 8 weeks before them (Poisson tail on the 14-day sum
  without its busiest day), with the last week above the week before.

Each count series is compared with the movement of its parent (:data:`PARENT`) at the same time,
the series itself left out: a street's L3 with the city's L3, a district's L2 with the city's L2, a
city L3 with the whole city. What moves the whole parent — the heating season arriving, the summer
rains, Spring Festival, a make-up working Saturday, the long-term trend — scales the series' baseline
instead of raising a warning; what moves one street, one district or one category alone still does.
The factor is ``(parent now + k) / (parent baseline + k)`` with ``k = parent_prior``, so a sparse
parent (a small city) barely moves it.

A city L3 has seasons of its own that no parent shares (供暖 in November, 污水外溢 in the rains,
while 水质 next to them stays flat), so a city L3 (:data:`SEASONAL_LEVELS`) is also compared with
itself a year before (:data:`YEAR_DAYS`): its largest movement within a week of that day scales its
baseline now, so a season that comes a few days earlier or later, or a lunar holiday that fell on
other days, does not warn. A city L3 warns only once the data holds a year and a full history window
before the day: without last year, a season and a city-wide problem look the same in the counts, and
a new city-wide problem is still found by its words (:func:`new_text`).

And one over the text (:func:`new_text`, level ``city_l3``): a *text cluster with no history* — a
new phrase: at least ``text_terms_min`` character 4-grams of one category, each found in
``>= text_n_new`` orders from ``>= text_streets_min`` streets in the last 3 days and in none of the 8
weeks before them (or one such 4-gram in twice as many orders: a short new name in people's own
words). It finds what no count series can: a class of cases spread thinly over the city (a gym
chain closing: a few members per street, every street), or a new kind of problem inside a busy
category.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import asdict, dataclass

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

from models.cases.text import explode_terms, known_terms
from models.forecast.series import CITY_KEY

BASELINE_WEEKS = 8

#: level → (parent level, the parent's key from the series key). A parent series is the sum of its
#: children, so "the parent without this series" is the parent minus the series.
PARENT: dict[str, tuple[str, Callable[[Column], Column]]] = {
    "street_l3": ("city_l3", lambda key: F.split(key, r"\|").getItem(1)),
    "district_l2": ("city_l2", lambda key: F.split(key, r"\|").getItem(1)),
    "city_l3": ("city", lambda key: F.lit(CITY_KEY)),
}
#: levels compared with themselves a year before as well (their seasons are their own)
SEASONAL_LEVELS = ("city_l3",)
#: a year back, in whole weeks (the same weekday)
YEAR_DAYS = 364
#: how far a season may move from last year's date (days either side)
SEASON_SLACK_DAYS = 7
#: the columns a series' movement is measured from (see :func:`baseline`)
MOVEMENT_COLUMNS = ("y", "mu", "sum14", "mean_before14")
#: days of history a day's windows reach back: the slow trend's 14 days and the 8 weeks before them
HISTORY_DAYS = 13 + 7 * BASELINE_WEEKS


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
    text_n_new: int = 4          # orders with the new term in the last 3 days
    text_streets_min: int = 3    # streets they come from
    text_terms_min: int = 3      # new 4-grams of one category that day (a phrase of 6+ characters)
    parent_prior: float = 30.0   # pseudo-orders that pull a small parent's movement factor towards 1
    season_prior: float = 5.0    # the same for a series' own movement a year before (a city L3: dense)
    parent_floor: float = 0.2    # lowest movement factor (a parent that collapsed is an outage, not a quiet day)

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


def detect(series: DataFrame, cfg: WarningConfig, date_from, date_to,
           parent: DataFrame | None = None, level: str | None = None) -> DataFrame:
    """Warnings of every kind for the days in ``[date_from, date_to]`` (the series start earlier).

    Args:
        series: complete daily grids of one level (``level, series_key, series_id, ds, y``).
        parent: the daily grids of the parent level (:data:`PARENT`) over the same days; without
            it the baselines are not adjusted for the parent's movement.
        level: the series' level (a key of :data:`PARENT`), needed with ``parent``.

    Returns:
        ``warn_date, kind, level, series_key, count, baseline, sigma, z, score, recent14``.
    """
    base = baseline(series)
    b = base.where(F.col("ds").between(F.lit(date_from), F.lit(date_to)))
    day_factor, growth14 = F.lit(1.0), F.lit(1.0)
    if parent is not None:
        if level not in PARENT:
            raise ValueError(f"level {level!r} has no parent level; choose one of {sorted(PARENT)}")
        b, day_factor, growth14 = _with_parent_movement(b, base, parent, PARENT[level][1], cfg, date_from, date_to,
                                                        yearly=level in SEASONAL_LEVELS)
    full_hist = F.col("days_hist") >= 7 * BASELINE_WEEKS
    n_min = F.when(F.col("level").startswith("street"), cfg.n_min_street).otherwise(cfg.n_min_district)
    expected = F.col("mu") * day_factor
    lam = F.greatest(expected, F.col("mean56") * day_factor, F.lit(0.05))
    sigma = F.greatest(1.4826 * F.col("mad"), F.sqrt(lam), F.lit(1.0))
    z = (F.col("y") - expected) / sigma
    p_burst = poisson_tail_log10(F.col("y"), lam)
    burst = b.where(full_hist & (F.col("y") >= n_min)).select(
        "*", z.alias("z"), p_burst.alias("score"), sigma.alias("sigma"), lam.alias("lam"), expected.alias("expected")
    ).where((F.col("z") >= cfg.z_min) & (F.col("score") >= cfg.p_min)).select(
        F.col("ds").alias("warn_date"), F.lit("burst").alias("kind"), "level", "series_key",
        F.col("y").alias("count"), F.col("expected").alias("baseline"), "sigma", "z", "score", "recent14",
    )
    new = b.where(full_hist & (F.col("sum56") == 0) & (F.col("sum3") >= cfg.n_new)).select(
        F.col("ds").alias("warn_date"), F.lit("new_issue").alias("kind"), "level", "series_key",
        F.col("sum3").alias("count"), F.lit(0.0).alias("baseline"), F.lit(1.0).alias("sigma"),
        F.col("sum3").alias("z"), poisson_tail_log10(F.col("sum3"), F.lit(3 * 0.05)).alias("score"), "recent14",
    )
    lam14 = F.greatest(F.col("mean_before14") * 14.0 * growth14, F.lit(0.5))
    slow_ok = (
        (F.col("days_before14") >= 7 * BASELINE_WEEKS)
        & (F.col("sum14") >= cfg.slow_n_min)
        & (F.col("sum7") >= cfg.slow_growth * F.col("sum7_prev"))
    )
    # scored without the 14 days' busiest day: one day's storm is a burst, not a slow trend, and would
    # otherwise keep "trending" for the two weeks it stays in the window
    steady = F.col("sum14") - F.array_max("recent14")
    slow = b.where(slow_ok).select(
        "*", poisson_tail_log10(steady, lam14 * 13.0 / 14.0).alias("score"), lam14.alias("lam14")
    ).where(F.col("score") >= cfg.slow_p_min).select(
        F.col("ds").alias("warn_date"), F.lit("slow_trend").alias("kind"), "level", "series_key",
        F.col("sum14").alias("count"), F.col("lam14").alias("baseline"), F.sqrt("lam14").alias("sigma"),
        ((F.col("sum14") - F.col("lam14")) / F.sqrt("lam14")).alias("z"), "score", "recent14",
    )
    return burst.unionByName(new).unionByName(slow)


def _with_parent_movement(b: DataFrame, base: DataFrame, parent: DataFrame, key_of: Callable[[Column], Column],
                          cfg: WarningConfig, date_from, date_to, yearly: bool = False) -> tuple[DataFrame, Column, Column]:
    """Join each series day of ``b`` with its parent's (the series left out); return the frame, the day factor
    (parent today against its same-weekday median) and the 14-day growth (parent's last 14 days
    against its 8 weeks before them), both shrunk towards 1 by ``cfg.parent_prior`` and kept above
    ``cfg.parent_floor``. (No ceiling: the heating season multiplies 供暖 by ten in a fortnight.)

    With ``yearly``, both factors are also multiplied by the series' own rise a year before: the
    largest of the days within ``SEASON_SLACK_DAYS`` of the same day then, because a season does not
    start on the same date every year (weather, a leap year); a lunar holiday last year is passed
    over the same way (read from ``base``, the series' :func:`baseline` over every day). Only days with a
    year and :data:`HISTORY_DAYS` of data before them are kept.
    """
    pb = baseline(parent).where(F.col("ds").between(F.lit(date_from), F.lit(date_to))).select(
        F.col("series_key").alias("parent_key"), "ds", *[F.col(c).alias("p_" + c) for c in MOVEMENT_COLUMNS])
    joined = b.withColumn("parent_key", key_of(F.col("series_key"))).join(pb, ["parent_key", "ds"], "left")
    day = _factor(F.col("p_y") - F.col("y"), F.col("p_mu") - F.col("mu"), cfg.parent_prior)
    growth = _factor(F.col("p_sum14") - F.col("sum14"), (F.col("p_mean_before14") - F.col("mean_before14")) * 14.0,
                     cfg.parent_prior)
    if yearly:
        first = parent.where(F.col("y") > 0).agg(F.min("ds").alias("first_data"))
        joined = joined.crossJoin(F.broadcast(first)).where(
            F.datediff("ds", "first_data") >= YEAR_DAYS + HISTORY_DAYS).drop("first_data")
        around = Window.partitionBy("series_key").orderBy("ds").rowsBetween(-SEASON_SLACK_DAYS, SEASON_SLACK_DAYS)
        last_year = base.select(
            "series_key", F.date_add("ds", YEAR_DAYS).alias("ds"),
            F.max(_factor(F.col("y"), F.col("mu"), cfg.season_prior)).over(around).alias("ly_day"),
            F.max(_factor(F.col("sum14"), F.col("mean_before14") * 14.0, cfg.season_prior)).over(around)
            .alias("ly_growth"),
        ).where(F.col("ds").between(F.lit(date_from), F.lit(date_to)))
        joined = joined.join(last_year, ["series_key", "ds"])
        # only a rise is taken from last year: its dips (a holiday, a season's end) would count twice
        # with this year's, which the parent's movement already carries
        one = F.lit(1.0)
        day, growth = day * F.greatest(F.col("ly_day"), one), growth * F.greatest(F.col("ly_growth"), one)
    floor = F.lit(cfg.parent_floor)
    return joined, F.greatest(day, floor), F.greatest(growth, floor)


def _factor(now: Column, usual: Column, prior: float) -> Column:
    """``(now + prior) / (usual + prior)`` (negatives read as 0; 1 when unknown)."""
    k = F.lit(prior)
    return F.coalesce((F.greatest(now, F.lit(0.0)) + k) / (F.greatest(usual, F.lit(0.0)) + k), F.lit(1.0))


#: what a new-text term may not be made of: digits and Latin letters (dates, amounts, plates and ids
#: change every day; "年12月" is new every December)
TEXT_DROP = r"[0-9A-Za-z]+"


def new_text(docs: DataFrame, cfg: WarningConfig, date_from, date_to) -> DataFrame:
    """Text clusters with no history, for the days in ``[date_from, date_to]`` (same columns as :func:`detect`,
    plus ``term`` and ``term_examples``).

    Args:
        docs: one row per order: ``ds`` (accept date, from ``date_from`` minus 8 weeks and 3 days),
            ``street_code``, ``category_code`` (L3), ``accept_time``, ``example`` (redacted text) and
            ``terms`` (its distinct character 4-grams, without :data:`TEXT_DROP`; see
            ``models.warning.job.text_documents``).

    A day warns at most once per L3 category: the term found in most orders (then the alphabetically
    first), filed under the category most of its orders carry; ``count`` is that term's orders in the
    3 days. One new 4-gram alone is not enough: where two template fragments meet ("…新村" + "单位强迫…")
    a rare junction can look new in a sparse city, while a new phrase (a chain's name, a new kind of
    problem) brings several new 4-grams at once — or, said in people's own words around a short
    name, one 4-gram in many orders (``>= 2 × text_n_new``).
    """
    day = F.unix_date("ds")
    hits = docs.select("ds", day.alias("dn"), "street_code", "category_code", "accept_time", "example",
                       explode_terms("terms").alias("term")).where(known_terms("term")).withColumn(
        "term_hash", F.xxhash64("term"))
    # counted and windowed by a 64-bit hash of the term: a city's year is ~10^9 (term, order) pairs, and
    # longs shuffle and sort much cheaper than strings (a collision would only merge two terms' counts)
    per_day = hits.groupBy("term_hash", "dn").agg(F.count(F.lit(1)).alias("n"))
    by_term = Window.partitionBy("term_hash").orderBy("dn")
    hist_days = 7 * BASELINE_WEEKS
    first_dn, last_dn = F.unix_date(F.lit(date_from)), F.unix_date(F.lit(date_to))
    fresh = per_day.select(
        "term_hash", "dn",
        F.sum("n").over(by_term.rangeBetween(-2, 0)).alias("sum3"),
        F.sum("n").over(by_term.rangeBetween(-2 - hist_days, -3)).alias("hist"),
    ).where(
        (F.col("sum3") >= cfg.text_n_new) & F.col("hist").isNull()
        & F.col("dn").between(first_dn, last_dn)
    )
    # the orders behind each fresh (term, day): those of the term in the day's 3-day window
    window_hits = hits.join(F.broadcast(fresh.select("term_hash", F.col("dn").alias("warn_dn"))), "term_hash").where(
        F.col("dn").between(F.col("warn_dn") - 2, F.col("warn_dn")))
    # one aggregation over the raw hits (each pass re-cuts every order's 4-grams): per category first,
    # with its streets and its 3 earliest examples; the term's totals are then built from those rows
    by_cat = window_hits.groupBy("term", "warn_dn", "category_code").agg(
        F.count(F.lit(1)).alias("n_cat"),
        F.collect_set("street_code").alias("streets_cat"),
        F.slice(F.array_sort(F.collect_list(F.struct("accept_time", F.substring("example", 1, 120).alias("t")))),
                1, 3).alias("ex_cat"),
    )
    top_cat = by_cat.withColumn("r", F.row_number().over(
        Window.partitionBy("term", "warn_dn").orderBy(F.desc("n_cat"), "category_code"))).where("r = 1")
    summary = by_cat.groupBy("term", "warn_dn").agg(
        F.sum("n_cat").alias("count"),
        F.size(F.array_distinct(F.flatten(F.collect_list("streets_cat")))).alias("streets"),
        F.slice(F.array_sort(F.flatten(F.collect_list("ex_cat"))), 1, 3).alias("ex"),
    ).where(F.col("streets") >= cfg.text_streets_min)
    found = summary.join(top_cat.select("term", "warn_dn", "category_code"), ["term", "warn_dn"])
    by_day_cat = Window.partitionBy("warn_dn", "category_code")
    best = found.withColumn("terms_new", F.count(F.lit(1)).over(by_day_cat)).withColumn(
        "r", F.row_number().over(by_day_cat.orderBy(F.desc("count"), "term"))
    ).where((F.col("r") == 1)
            & ((F.col("terms_new") >= cfg.text_terms_min) | (F.col("count") >= 2 * cfg.text_n_new)))
    lam = F.lit(3 * 0.05)
    return best.select(
        F.date_from_unix_date("warn_dn").alias("warn_date"), F.lit("new_text").alias("kind"),
        F.lit("city_l3").alias("level"), F.col("category_code").alias("series_key"),
        F.col("count").cast("double").alias("count"), F.lit(0.0).alias("baseline"), F.lit(1.0).alias("sigma"),
        F.col("count").cast("double").alias("z"), poisson_tail_log10(F.col("count"), lam).alias("score"),
        F.array().cast("array<double>").alias("recent14"), "term",
        F.transform("ex", lambda e: e["t"]).alias("term_examples"),
    )


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

"""Score warnings against the generator's planted incidents (``gt_incidents``)."""

from __future__ import annotations

import datetime as dt

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

#: days after an incident's end during which a warning still counts as caused by it
GRACE_DAYS = 3


def warning_places(warnings: DataFrame) -> DataFrame:
    """Add ``place_code`` (street/district code, null for city level) and ``category_code`` to warnings."""
    parts = F.split("series_key", r"\|")
    one_part = F.size(parts) == 1
    return warnings.withColumn("place_code", F.when(one_part, F.lit(None)).otherwise(parts.getItem(0))).withColumn(
        "category_code", F.when(one_part, parts.getItem(0)).otherwise(parts.getItem(1))
    )


def incidents_frame(gt: DataFrame) -> DataFrame:
    """One row per incident (``gt_incidents`` has one row per incident and generated day)."""
    return gt.groupBy("incident_id").agg(
        F.first("type").alias("type"),
        F.first("category_l3_code").alias("category_l3_code"),
        F.first("district_code").alias("district_code"),
        F.first("street_code").alias("street_code"),
        F.to_date(F.min("start_time")).alias("start_date"),
        F.to_date(F.max("end_time")).alias("end_date"),
    )


def match(warnings: DataFrame, incidents: DataFrame) -> DataFrame:
    """Every (warning day, incident) pair where place, category and time agree."""
    w = warning_places(warnings).alias("w")
    i = incidents.alias("i")
    same_cat = F.col("i.category_l3_code").startswith(F.col("w.category_code"))
    same_place = (
        F.col("w.place_code").isNull()
        | F.col("i.district_code").isNull()
        | (F.col("w.place_code") == F.col("i.street_code"))
        | (F.col("w.place_code") == F.col("i.district_code"))
    )
    end = F.coalesce(F.col("i.end_date"), F.lit(dt.date(9999, 12, 31)))
    in_time = (F.col("w.warn_date") >= F.col("i.start_date")) & (
        F.col("w.warn_date") <= F.date_add(end, GRACE_DAYS)
    )
    return w.join(i, same_cat & same_place & in_time).select(
        "w.episode_id", "w.warn_date", "w.kind", "w.level", "i.incident_id", "i.type", "i.start_date"
    )


def true_episodes(warnings: DataFrame, incidents: DataFrame) -> DataFrame:
    """``episode_id`` of every warning episode that matches a planted incident (one row each)."""
    return match(warnings, incidents).select("episode_id").distinct()


def score(warnings: DataFrame, gt_incidents: DataFrame, date_from: dt.date, date_to: dt.date,
          warmup_days: int = 56) -> dict:
    """Recall, precision (by warning episode) and median lead time against the planted incidents.

    Incidents count when they start inside ``[date_from + warmup_days, date_to]`` (the detectors need
    ``warmup_days`` of history); warnings count when dated in ``[date_from + warmup_days, date_to]``, and
    are true when they match any planted incident, also one that began before the window.
    """
    first = date_from + dt.timedelta(days=warmup_days)
    every = incidents_frame(gt_incidents).cache()
    inc = every.where(F.col("start_date").between(F.lit(first), F.lit(date_to))).cache()
    warn = warnings.where(F.col("warn_date").between(F.lit(first), F.lit(date_to))).cache()
    pairs = match(warn, inc).cache()
    found = pairs.groupBy("incident_id", "type", "start_date").agg(F.min("warn_date").alias("first_warn"))
    leads = found.select("type", F.datediff("first_warn", "start_date").alias("lead")).collect()
    n_inc = inc.count()
    by_type_total = {r["type"]: r["count"] for r in inc.groupBy("type").count().collect()}
    by_type_found: dict[str, int] = {}
    for r in leads:
        by_type_found[r["type"]] = by_type_found.get(r["type"], 0) + 1
    episodes = warn.select("episode_id").distinct().count()
    # a warning about an incident that began before the window is still true (not a false alarm)
    true_eps = true_episodes(warn, every).count()
    for frame in (pairs, warn, inc, every):
        frame.unpersist()
    lead_values = sorted(r["lead"] for r in leads)
    median_lead = (
        float((lead_values[(len(lead_values) - 1) // 2] + lead_values[len(lead_values) // 2]) / 2)
        if lead_values else float("nan")
    )
    return {
        "incidents": n_inc,
        "detected": len(leads),
        "recall": len(leads) / n_inc if n_inc else float("nan"),
        "warning_episodes": episodes,
        "true_episodes": true_eps,
        "precision": true_eps / episodes if episodes else float("nan"),
        "median_lead_days": median_lead,
        "recall_by_type": {t: by_type_found.get(t, 0) / n for t, n in sorted(by_type_total.items())},
    }

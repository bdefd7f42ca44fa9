"""Early warning on a small city with planted incidents: bursts are warned within two days, few false alarms."""

from __future__ import annotations

import datetime as dt

import pytest
from pyspark.sql import functions as F
from pyspark.testing import assertDataFrameEqual

from models.warning.detect import poisson_tail_log10
from models.warning.evaluate import score
from models.warning.job import compute
from tests.models.insight import city


@pytest.fixture(scope="module")
def planted(spark):
    orders, incidents = city.build()
    o, i = city.to_spark(spark, orders, incidents)
    return o.cache(), i.cache()


@pytest.fixture(scope="module")
def warnings(planted):
    o, _ = planted
    start = city.START + dt.timedelta(days=70)
    return compute(o, start, city.START + dt.timedelta(days=city.DAYS - 1)).cache()


def test_poisson_tail_matches_exact(spark):
    from scipy.stats import poisson

    df = spark.createDataFrame([(14, 0.3), (5, 2.0), (30, 10.0), (1, 3.0)], "n int, lam double")
    got = [r[0] for r in df.select(poisson_tail_log10(F.col("n"), F.col("lam"))).collect()]
    for (n, lam), g in zip([(14, 0.3), (5, 2.0), (30, 10.0), (1, 3.0)], got, strict=True):
        exact = 0.0 if n <= lam else -__import__("math").log10(poisson.sf(n - 1, lam))
        assert g == pytest.approx(exact, rel=0.08, abs=0.05)


def test_burst_warned_on_its_first_day_with_evidence(warnings):
    burst_day = city.START + dt.timedelta(days=80)
    hit = warnings.where(
        (F.col("kind") == "burst") & (F.col("level") == "street_l3") & (F.col("series_key") == "990102001|030101")
        & F.col("warn_date").between(burst_day, burst_day + dt.timedelta(days=1))
    ).orderBy("warn_date").collect()
    assert hit, "the planted water-main burst was not warned within its first two days"
    first = hit[0]
    assert first["warn_date"] == burst_day
    assert first["status"] == "new"
    assert first["count"] == 14 + 0 or first["count"] >= 14
    assert len(first["examples"]) == 3 and any("供水主管爆裂" in t for t in first["examples"])
    assert '"baseline"' in first["evidence_json"] and '"last_14_days"' in first["evidence_json"]


def test_scores_against_planted_incidents(warnings, planted):
    _, incidents = planted
    start = city.START + dt.timedelta(days=70)
    m = score(warnings, incidents, start, city.START + dt.timedelta(days=city.DAYS - 1), warmup_days=0)
    assert m["incidents"] == 3
    assert m["recall"] >= 2 / 3
    assert m["recall_by_type"]["water_main_break"] == 1.0
    assert m["recall_by_type"]["duplicate_storm"] == 1.0
    assert m["precision"] >= 0.8
    assert m["median_lead_days"] <= 1


def test_episode_status(spark):
    from models.warning.detect import episodes

    d = dt.date(2025, 3, 1)
    rows = [(d, "burst", "street_l3", "k"), (d + dt.timedelta(days=1), "burst", "street_l3", "k"),
            (d + dt.timedelta(days=9), "burst", "street_l3", "k")]
    w = spark.createDataFrame(rows, "warn_date date, kind string, level string, series_key string")
    got = episodes(w).select("warn_date", "episode_id", "status")
    expected = spark.createDataFrame([
        (d, "burst:street_l3:k:20250301", "new"),
        (d + dt.timedelta(days=1), "burst:street_l3:k:20250301", "ongoing"),
        (d + dt.timedelta(days=9), "burst:street_l3:k:20250310", "new"),
    ], "warn_date date, episode_id string, status string")
    assertDataFrameEqual(got, expected)

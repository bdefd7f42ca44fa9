"""Early warning on a small city with planted incidents: bursts are warned within two days, few false alarms."""

from __future__ import annotations

import datetime as dt
import json

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
    assert m["recall_by_type"] == {"class_case_prepaid": 1.0, "duplicate_storm": 1.0, "water_main_break": 1.0}
    assert m["precision"] >= 0.8
    assert m["median_lead_days"] <= 1


def test_class_case_warned_as_new_text_within_two_days(warnings):
    """The gym chain's members complain a few per street: no count series rises, the text is new."""
    c0 = city.START + dt.timedelta(days=70)
    hit = warnings.where((F.col("kind") == "new_text") & (F.col("series_key") == "060201")
                         & F.col("warn_date").between(c0, c0 + dt.timedelta(days=1))).orderBy("warn_date").collect()
    assert hit, "the planted class case was not warned within its first two days"
    first = hit[0]
    assert first["level"] == "city_l3" and first["place_code"] is None
    term = json.loads(first["evidence_json"])["term"]
    assert "健" in term or "力" in term, term
    assert len(first["examples"]) == 3 and all(term in t for t in first["examples"])


def _text_docs(spark, rows):
    """``new_text`` input from (day offset, street, L3, text) rows."""
    from models.warning.job import text_documents

    d0 = dt.date(2025, 3, 1)
    data = [(d0 + dt.timedelta(days=k), street, street[:6], l3, l3[:4], l3[:2], f"标题{k}", text,
             dt.datetime.combine(d0 + dt.timedelta(days=k), dt.time(9, i % 60)))
            for i, (k, street, l3, text) in enumerate(rows)]
    o = spark.createDataFrame(data, "accept_date date, street_code string, district_code string, "
                              "category_l3_code string, category_l2_code string, category_l1_code string, "
                              "title string, content_redacted string, accept_time timestamp")
    return text_documents(o), d0


def test_new_text_needs_a_new_phrase_spread_and_no_history(spark):
    from models.warning.detect import WarningConfig, new_text

    usual = [(k, f"S{k % 3}", "020101", "道路保洁不及时希望处理") for k in range(62)]
    fresh = [(60, f"S{i}", "060201", f"悦体健身闭店了卡里还有钱{i}") for i in range(3)] + \
            [(61, "S1", "060201", "悦体健身闭店退费")]
    lonely = [(61, "S7", "050101", "广场舞噪音太吵了") for _ in range(5)]           # one street only
    old = [(10, "S1", "010101", "物业乱收停车费")] + \
          [(61, f"S{i}", "010101", "物业乱收停车费") for i in range(4)]            # seen 51 days before
    dated = [(61, f"S{i}", "020101", f"道路保洁不及时20251{i}") for i in range(4)]         # digits only
    junction = [(61, f"S{i}", "020101", "道路保洁不及时喂喂") for i in range(4)]     # two new 4-grams only
    name = [(61, f"S{i % 4}", "050101", f"{w}美乐琴行{w}") for i, w in enumerate("吵闹扰民烦人噪音")]  # one, 8 times
    docs, d0 = _text_docs(spark, usual + fresh + lonely + old + dated + junction + name)
    got = new_text(docs, WarningConfig(), d0 + dt.timedelta(days=59), d0 + dt.timedelta(days=62)).collect()
    # day 60 has three orders, day 61 the fourth; the alphabetically first of the 4-order terms is named
    assert sorted((r["warn_date"], r["series_key"], r["term"], r["count"]) for r in got) == [
        (d0 + dt.timedelta(days=61), "050101", "美乐琴行", 8.0), (d0 + dt.timedelta(days=61), "060201", "体健身闭", 4.0)]


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


def test_score_counts_a_warning_of_an_incident_begun_before_the_window_as_true(spark):
    d = dt.date(2025, 6, 1)
    gt = spark.createDataFrame([
        ("INC-OLD", "slow_building_noise", "050101", "990106", "990106001",
         dt.datetime(2025, 5, 20, 21), dt.datetime(2025, 6, 20, 23)),
        ("INC-NEW", "water_main_break", "030101", "990102", "990102001",
         dt.datetime(2025, 6, 5, 6), dt.datetime(2025, 6, 5, 22)),
    ], "incident_id string, type string, category_l3_code string, district_code string, street_code string, "
       "start_time timestamp, end_time timestamp")
    warnings = spark.createDataFrame([
        (d + dt.timedelta(days=3), "e-old", "slow_trend", "street_l3", "990106001|050101"),
        (d + dt.timedelta(days=4), "e-new", "burst", "street_l3", "990102001|030101"),
        (d + dt.timedelta(days=4), "e-false", "burst", "street_l3", "990104001|020101"),
    ], "warn_date date, episode_id string, kind string, level string, series_key string")
    m = score(warnings, gt, d, d + dt.timedelta(days=29), warmup_days=0)
    assert (m["incidents"], m["detected"], m["recall"]) == (1, 1, 1.0)   # INC-OLD began before the window
    assert (m["warning_episodes"], m["true_episodes"]) == (3, 2)
    assert m["precision"] == pytest.approx(2 / 3)


def test_a_rise_of_the_whole_parent_is_not_a_street_warning_but_one_street_alone_is(spark):
    from models.warning.detect import WarningConfig, detect

    d0, days, onset = dt.date(2025, 8, 1), 90, 84
    streets = [f"S{i:02d}" for i in range(1, 21)]
    rows = []
    for i in range(days):
        ds = d0 + dt.timedelta(days=i)
        for s in streets:
            # 030401 供暖: the heating season arrives everywhere at once; 050101: only S01 gets noisy
            rows.append(("street_l3", f"{s}|030401", ds, 35.0 if i >= onset else 10.0))
            rows.append(("street_l3", f"{s}|050101", ds, 35.0 if i >= onset and s == "S01" else 10.0))
    street = spark.createDataFrame(rows, "level string, series_key string, ds date, y double").withColumn(
        "series_id", F.concat(F.col("level"), F.lit(":"), F.col("series_key"))).cache()
    city_l3 = street.groupBy(F.split("series_key", r"\|").getItem(1).alias("series_key"), "ds").agg(
        F.sum("y").alias("y")).select(F.lit("city_l3").alias("level"), "series_key",
                                      F.concat(F.lit("city_l3:"), F.col("series_key")).alias("series_id"), "ds", "y")
    first, last = d0 + dt.timedelta(days=onset), d0 + dt.timedelta(days=days - 1)

    def warned(parent):
        got = detect(street, WarningConfig(), first, last, parent=parent, level="street_l3" if parent else None)
        return {(r["kind"], r["series_key"]) for r in got.select("kind", "series_key").distinct().collect()}

    plain = warned(None)
    assert {("burst", "S05|030401"), ("slow_trend", "S05|030401"), ("burst", "S01|050101")} <= plain
    relative = warned(city_l3)
    assert not {k for k in relative if k[1].endswith("030401")}, relative
    assert {("burst", "S01|050101"), ("slow_trend", "S01|050101")} <= relative
    assert not {k for k in relative if k[1].endswith("050101") and k[1] != "S01|050101"}


def test_a_city_category_is_compared_with_its_own_last_year_and_warns_only_with_a_year_of_data(spark):
    """Seasons of one category (供暖) do not warn in the second year, a one-off rise does, and a lunar
    holiday that fell on other days last year does not make a normal week look high."""
    import numpy as np

    from models.warning.detect import HISTORY_DAYS, YEAR_DAYS, WarningConfig, detect

    rng = np.random.default_rng(7)
    d0, days = dt.date(2023, 1, 2), 2 * YEAR_DAYS + 80
    rise = dt.date(2024, 5, 6)  # 050101 doubles from here on, once
    holidays = [(dt.date(2023, 9, 29), dt.date(2023, 10, 5)), (dt.date(2024, 9, 17), dt.date(2024, 9, 23))]
    rows = []
    for i in range(days):
        ds = d0 + dt.timedelta(days=i)
        quiet = 0.4 if any(a <= ds <= b for a, b in holidays) else 1.0
        mean = {
            "030401": 300.0 if ds.month in (11, 12, 1, 2, 3) else 30.0,  # 供暖 season
            "030101": 400.0 if ds.month in (7, 8) else 100.0,  # 停水 in the rains: the sibling moves, 水质 not
            "030102": 200.0,
            "050101": 300.0 if ds >= rise else 150.0,
            **{f"99{j:04d}": 1000.0 for j in range(20)},  # the rest of the city
        }
        rows += [("city_l3", key, ds, float(rng.poisson(m * quiet))) for key, m in mean.items()]
    city_l3 = spark.createDataFrame(rows, "level string, series_key string, ds date, y double").withColumn(
        "series_id", F.concat(F.lit("city_l3:"), F.col("series_key"))).cache()
    city = city_l3.groupBy("ds").agg(F.sum("y").alias("y")).select(
        F.lit("city").alias("level"), F.lit("all").alias("series_key"), F.lit("city:all").alias("series_id"), "ds", "y")
    first, last = d0 + dt.timedelta(days=HISTORY_DAYS), d0 + dt.timedelta(days=days - 1)

    def warned(parent):
        got = detect(city_l3, WarningConfig(), first, last, parent=parent, level="city_l3" if parent else None)
        return [(r["warn_date"], r["kind"], r["series_key"]) for r in got.collect()]

    relative = warned(city)
    assert min(d for d, _, _ in relative) >= d0 + dt.timedelta(days=YEAR_DAYS + HISTORY_DAYS)
    assert not [w for w in relative if w[2] != "050101"], relative
    onset = sorted(d for d, _, key in relative if key == "050101")
    assert onset and onset[0] <= rise + dt.timedelta(days=1), onset
    # the same detector without its references warns of the season and of the week after the holiday
    plain = warned(None)
    heating = [w for w in plain if w[2] == "030401" and dt.date(2024, 11, 1) <= w[0] <= dt.date(2024, 11, 20)]
    assert heating, "the test's heating season should warn without a year-ago reference"

"""Exact indicator values on the hand-built fixture, against the formulas of domain-standard §7(c).

Every expected number below is worked out by hand from ``silver_fixture.hand_built_orders``:
O1–O4, O6, O7 are accepted on 2025-03-04 (O5 is invalid, O8 was accepted three days earlier and
is due and finished on the day). The comments give each count's members.
"""

from __future__ import annotations

import datetime as dt

import pytest

from jobs.indicators.config import IndicatorConfig, KpiWeights
from jobs.indicators.transforms import (
    PeriodScope,
    aggregate_indicators,
    place_in_periods,
    prepare_orders,
)
from tests.indicators.silver_fixture import DAY, frame, hand_built_orders

CITY_DAY = {"period_type": "day", "period_start": DAY, "geo_level": "city", "geo_code": "990100",
            "category_level": "all", "category_code": "*", "dept_code": "*"}


@pytest.fixture(scope="module")
def ref_frames(spark):
    from jobs.reference.tables import calendar, sla_rules

    return spark.createDataFrame(sla_rules()), spark.createDataFrame(calendar(2025, 2025))


def compute(spark, ref_frames, cfg=None, scope=None):
    sla, cal = ref_frames
    cfg = cfg or IndicatorConfig()
    prepared = prepare_orders(frame(spark, hand_built_orders()), sla, cal, cfg)
    return aggregate_indicators(place_in_periods(prepared, scope or PeriodScope(DAY, DAY)), cfg)


def cell(df, **keys):
    cond = {**CITY_DAY, **keys}
    rows = df.filter(" AND ".join(f"{k} = '{v}'" for k, v in cond.items())).collect()
    assert len(rows) == 1, f"expected one row for {cond}, got {len(rows)}"
    return rows[0].asDict()


@pytest.fixture(scope="module")
def gold(spark, ref_frames):
    return compute(spark, ref_frames).cache()


def test_measures_city_day(gold):
    r = cell(gold)
    expected = {
        "n_acc": 6,                  # O1 O2 O3 O4 O6 O7 (O5 invalid, O8 accepted earlier)
        "n_direct": 1,               # O3
        "n_dispatched": 4,           # O1 O2 O4 O6
        "n_returned": 1, "sum_return_count": 1, "sum_dispatch_count": 5, "n_misdispatched": 1,  # O2
        "n_sign_ontime": 3,          # O1 0.5h≤24h, O4 0.5h≤1h (V1-U2), O6 0.25h; O2 25h>24h
        "n_extended": 1, "n_urged": 1, "n_supervised": 1,   # O2
        "n_response_timed": 4,
        "n_repeat": 1,               # O6 (O1 same caller+L3+community earlier); O7 other community
        "n_clustered": 3,            # K1 = O1 O6 O7
        "n_merged": 1,               # O7
        "n_risk": 2,                 # O4 urgency 2, O6 tag 安全隐患
        "n_direct_no_repeat": 1,     # O3
        "n_signed": 3,               # O1 O4 O6 signed on the day (O2 the next day)
        "n_responded_ontime": 2,     # O1 1h≤24h, O6 0.5h≤24h; O4 25.5h>2h
        "n_handling": 4,             # D_P: O1 (finish) O2 (due) O4 (finish) O8 (due and finish, once)
        "n_finished_by_end": 3,      # O1 O4 O8
        "n_finished_ontime": 2,      # O1 O4 (O8 13:00 > due 12:00, O2 open)
        "n_overdue": 2,              # O2 open past due at end of day, O8 late
        "n_finished": 4,             # O1 O3 O4 O8
        "n_finished_dispatched": 3,  # O1 O4 O8
        "n_handling_timed": 3,
        "n_first_time_resolved": 1,  # O4 (O1: O7 is a repeat after its finish; O8 reopened)
        "n_reopened": 1,             # O8
        "n_revisit_required": 4,     # O1 O3 O4 O8 (paths 01/02)
        "n_revisited": 3, "n_evaluable": 2, "n_solved": 1, "n_partial": 1,   # O1 O3 O4 / O1 O3
        "n_sat_rated": 2, "n_satisfied": 2,   # O1 5, O3 3 (inclusive)
    }
    assert {k: r[k] for k in expected} == expected
    assert r["sum_response_h"] == pytest.approx(1.5 + 25.5 + 26.0 + 0.75)
    assert r["sum_handling_h"] == pytest.approx(8.0 + 6.0 + 76.0)
    # O8: dispatched Saturday 09:00, finished Tuesday 13:00 → Monday 24 h + Tuesday 13 h on working days
    assert r["sum_handling_work_h"] == pytest.approx(8.0 + 6.0 + 37.0)
    assert r["median_handling_h"] == pytest.approx(8.0)
    # exact percentiles, interpolated between order statistics: P90 of (6, 8, 76) sits 0.8 of the way from
    # the 2nd to the 3rd value (an approximate percentile would return an observed value, 76)
    assert r["p90_handling_h"] == pytest.approx(8.0 + 0.8 * (76.0 - 8.0))
    assert r["sum_sat_score"] == pytest.approx(160.0)


def test_indicators_city_day(gold):
    r = cell(gold)
    expected = {
        "direct_answer_rate": 1 / 6, "transfer_rate": 4 / 6, "return_rate": 1 / 4, "return_rate_event": 1 / 5,
        "dispatch_accuracy_rate": 3 / 4, "sign_ontime_rate": 3 / 4, "response_rate": 2 / 3,
        "completion_rate": 3 / 4, "ontime_completion_rate": 2 / 4, "overdue_rate": 2 / 4,
        "extension_rate": 1 / 4, "urge_rate": 1 / 4, "supervise_rate": 1 / 4,
        "avg_handling_hours": 90 / 3, "avg_handling_work_hours": 51 / 3, "median_handling_hours": 8.0,
        "p90_handling_hours": 62.4, "avg_response_hours": 53.75 / 4,
        "revisit_rate": 3 / 4, "valid_revisit_rate": 2 / 3, "solve_rate": 1 / 2, "satisfaction_rate": 1.0,
        "satisfaction_score": 80.0, "first_time_resolution_rate": 1 / 3,
        "direct_first_contact_resolution_rate": 1.0, "reopen_rate": 1 / 4, "repeat_rate": 1 / 6,
        "cluster_concentration": 3 / 6, "merge_rate": 1 / 6, "risk_share": 2 / 6,
        # F: 100 · (0.30 · 2/3 + 0.35 · 1/2 + 0.35 · 1)
        "three_rate_score": 72.5,
    }
    assert {k: r[k] for k in expected} == pytest.approx(expected)
    assert r["period_end"] == DAY


def test_dimensions_split_the_city(gold):
    # District 990103 has only O4; street 990102001 has the other five valid orders of the day.
    assert cell(gold, geo_level="district", geo_code="990103")["n_acc"] == 1
    assert cell(gold, geo_level="street", geo_code="990102001")["n_acc"] == 5
    d01 = cell(gold, dept_code="D01")
    assert (d01["n_acc"], d01["n_dispatched"], d01["n_handling"]) == (4, 4, 3)   # O1 O2 O4 O6 / O1 O2 O4
    none = cell(gold, dept_code="none")
    assert none["n_acc"] == 2                                                    # O3 O7: never dispatched
    l1 = cell(gold, category_level="l1", category_code="02")
    assert (l1["n_acc"], l1["direct_answer_rate"]) == (1, 1.0)
    assert cell(gold, category_level="l2", category_code="0101")["n_acc"] == 5


def test_week_and_month_cover_the_whole_period(gold):
    # The week of 2025-03-03 and March 2025 contain the same accepted orders as the day (O8 was
    # accepted on Saturday 1 March: in the month, not in the ISO week).
    week = cell(gold, period_type="week", period_start=dt.date(2025, 3, 3))
    month = cell(gold, period_type="month", period_start=dt.date(2025, 3, 1))
    assert (week["n_acc"], month["n_acc"]) == (6, 7)
    assert week["period_end"] == dt.date(2025, 3, 9) and month["period_end"] == dt.date(2025, 3, 31)
    # O2 was signed on 5 March: in the week's sign basis, not in the day's; O8 signed 1 March.
    assert (week["n_signed"], month["n_signed"]) == (4, 5)


def test_variants_are_configuration(spark, ref_frames):
    cfg = IndicatorConfig(satisfaction_inclusive_basic=False, solve_partial_credit=0.5,
                          kpi_weights=KpiWeights(0.2, 0.4, 0.4, source="test"), ontime_use_extended_due=False)
    r = cell(compute(spark, ref_frames, cfg))
    assert r["satisfaction_rate"] == pytest.approx(1 / 2)        # only O1's 5; O3's 基本满意 not counted
    assert r["solve_rate"] == pytest.approx((1 + 0.5) / 2)       # α = 0.5 for O3's 部分解决
    assert r["three_rate_score"] == pytest.approx(100 * (0.2 * 2 / 3 + 0.4 * 0.75 + 0.4 * 0.5))
    assert r["definition_hash"] != IndicatorConfig().fingerprint()
    with pytest.raises(ValueError, match="sum to 1"):
        KpiWeights(0.3, 0.3, 0.3)
    with pytest.raises(ValueError, match="Unknown indicator setting"):
        IndicatorConfig.from_mapping({"satisfaction_inclusive": True})


def test_scope_predicate_and_bounds():
    scope = PeriodScope(dt.date(2025, 3, 31), dt.date(2025, 4, 1))
    assert scope.starts("week") == (dt.date(2025, 3, 31), dt.date(2025, 3, 31))
    assert scope.starts("month") == (dt.date(2025, 3, 1), dt.date(2025, 4, 1))
    assert (scope.first_day, scope.last_day) == (dt.date(2025, 3, 1), dt.date(2025, 4, 30))
    with pytest.raises(ValueError, match="before"):
        PeriodScope(dt.date(2025, 3, 2), dt.date(2025, 3, 1))


def test_a_repeat_needs_the_same_community_and_category(spark, ref_frames):
    """§7(c)-E: the same caller_phone_hash, category_l3_code AND community_code. Orders whose community
    or L3 is unknown are not "the same" as each other; the same known place and matter a day later is."""
    from tests.indicators.silver_fixture import order, ts

    sla, cal = ref_frames
    rows = [order(order_id=f"R{i}", accept_time=ts(i, "09:00"), caller_phone_hash="hx", category_l3_code=l3,
                  community_code=community)
            for i, (l3, community) in enumerate([("010101", None), ("010101", None), (None, "990102001001"),
                                                 (None, "990102001001"), ("010101", "990102001001"),
                                                 ("010101", "990102001001")])]
    got = {r.order_id: r.is_repeat for r in prepare_orders(frame(spark, rows), sla, cal, IndicatorConfig()).collect()}
    assert got == {"R0": False, "R1": False, "R2": False, "R3": False, "R4": False, "R5": True}

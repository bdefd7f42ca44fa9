"""Department ranking, 民生诉求体征, 异常指数 inputs and the generated data dictionary."""

from __future__ import annotations

import datetime as dt

import pytest
from pyspark.sql import functions as F

from jobs.indicators.config import IndicatorConfig
from jobs.indicators.dictionary import documented_columns, render
from jobs.indicators.transforms import PeriodScope, anomaly_inputs, dept_ranking, livelihood_signs
from tests.indicators.silver_fixture import frame, order

D = dt.date(2025, 3, 4)


def _ind_rows(spark, rows):
    cols = ["period_type", "period_start", "period_end", "geo_level", "geo_code", "category_level",
            "category_code", "dept_code", "n_signed", "n_evaluable", "n_sat_rated", "response_rate", "solve_rate",
            "satisfaction_rate", "three_rate_score", "n_acc", "n_risk", "risk_share", "ontime_completion_rate",
            "repeat_rate", "definition_hash"]
    defaults = {"period_type": "day", "period_start": D, "period_end": D, "geo_level": "city", "geo_code": "990100",
                "category_level": "all", "category_code": "*", "dept_code": "*", "n_signed": 0, "n_evaluable": 0,
                "n_sat_rated": 0, "response_rate": None, "solve_rate": None, "satisfaction_rate": None,
                "three_rate_score": None, "n_acc": 0, "n_risk": 0, "risk_share": None,
                "ontime_completion_rate": None, "repeat_rate": None, "definition_hash": "h"}
    schema = ("period_type string, period_start date, period_end date, geo_level string, geo_code string, "
              "category_level string, category_code string, dept_code string, n_signed bigint, n_evaluable bigint, "
              "n_sat_rated bigint, response_rate double, solve_rate double, satisfaction_rate double, "
              "three_rate_score double, n_acc bigint, n_risk bigint, risk_share double, "
              "ontime_completion_rate double, repeat_rate double, definition_hash string")
    return spark.createDataFrame([tuple({**defaults, **r}[c] for c in cols) for r in rows], schema)


def test_ranking_is_tiered_by_peer_group_with_minimum_volume(spark):
    depts = spark.createDataFrame(
        [("D01", "住建委", "市级部门", "v1"), ("D02", "房管局", "市级部门", "v1"), ("D03", "规自委", "市级部门", "v1"),
         ("D09", "供水集团", "公共企业", "v1"), ("D10", "供电公司", "公共企业", "v1")],
        "dept_code string, dept_name string, peer_group string, version string")
    ind = _ind_rows(spark, [
        {"dept_code": "D01", "n_evaluable": 40, "three_rate_score": 90.0},
        {"dept_code": "D02", "n_evaluable": 30, "three_rate_score": 95.0},
        {"dept_code": "D03", "n_evaluable": 29, "three_rate_score": 99.0},   # below 30: 样本不足
        {"dept_code": "D09", "n_evaluable": 100, "three_rate_score": 70.0},
        {"dept_code": "D10", "n_evaluable": 100, "three_rate_score": 80.0},
        {"dept_code": "*", "n_evaluable": 299, "three_rate_score": 85.0},    # the all-department row
        {"dept_code": "D01", "geo_level": "district", "geo_code": "990102", "n_evaluable": 40},
    ])
    out = {r.dept_code: (r.peer_group, r.rank_status, r.rank_in_peer_group, r.ranked_in_peer_group)
           for r in dept_ranking(ind, depts, IndicatorConfig()).collect()}
    assert out == {
        "D02": ("市级部门", "已排名", 1, 2), "D01": ("市级部门", "已排名", 2, 2),
        "D03": ("市级部门", "样本不足", None, None),
        "D10": ("公共企业", "已排名", 1, 2), "D09": ("公共企业", "已排名", 2, 2),
    }
    lowered = {r.dept_code: r.rank_status for r in dept_ranking(ind, depts, IndicatorConfig(
        min_volume_for_ranking=10)).collect()}
    assert lowered["D03"] == "已排名"


def test_livelihood_signs(spark):
    pops = spark.createDataFrame([("city", "990100", 5_000_000), ("district", "990102", 500_000)],
                                 "geo_level string, geo_code string, population bigint")
    prev = D - dt.timedelta(days=1)
    year = dt.date(2024, 3, 4)
    hist = _ind_rows(spark, [
        {"n_acc": 1000, "n_risk": 30},
        {"category_level": "l1", "category_code": "01", "n_acc": 250},
        {"geo_level": "district", "geo_code": "990102", "n_acc": 100},
        {"period_start": prev, "period_end": prev, "n_acc": 800},
        {"period_start": year, "period_end": year, "n_acc": 1250},
        {"dept_code": "D01", "n_acc": 400},                     # department rows are not signs
        {"period_start": D - dt.timedelta(days=30), "n_acc": 5},  # out of scope
    ]).withColumn("risk_share", F.expr("CASE WHEN n_acc > 0 THEN n_risk / n_acc END"))
    out = {(r.geo_level, r.category_code): r for r in livelihood_signs(hist, pops, PeriodScope(D, D)).collect()}
    assert set(out) == {("city", "*"), ("city", "01"), ("district", "*")}
    city = out[("city", "*")]
    assert city.demand_per_10k == pytest.approx(1000 / 5_000_000 * 10000)      # 2.0 per 10k residents
    assert city.mom_growth == pytest.approx(1000 / 800 - 1)                     # 环比 +25 %
    assert city.yoy_growth == pytest.approx(1000 / 1250 - 1)                    # 同比 −20 %
    assert city.risk_share == pytest.approx(0.03) and city.category_share is None
    assert out[("city", "01")].category_share == pytest.approx(0.25)
    district = out[("district", "*")]
    assert district.demand_per_10k == pytest.approx(2.0) and district.mom_growth is None


def test_anomaly_inputs_same_weekday_baseline(spark):
    # L3 030101 in district 990102: the 8 previous Tuesdays had 1,2,3,2,1,2,3,2 orders, today 6.
    # median 2, |dev| sorted 0,0,0,0,1,1,1,1 → MAD 0.5, σ̂ = 0.7413, z = (6 − 2) / 0.7413.
    rows = []
    for k, n in enumerate([1, 2, 3, 2, 1, 2, 3, 2], start=1):
        for i in range(n):
            day = D - dt.timedelta(days=7 * k)
            rows.append(order(order_id=f"A{k}-{i}", accept_time=dt.datetime(day.year, day.month, day.day, 9, i),
                              category_l3_code="030101"))
    rows += [order(order_id=f"T{i}", accept_time=dt.datetime(2025, 3, 4, 10, i), category_l3_code="030101")
             for i in range(6)]
    # A new issue: L3 050101 never seen before, 3 orders today; a weekday other than Tuesday does not count.
    rows += [order(order_id=f"N{i}", accept_time=dt.datetime(2025, 3, 4, 11, i), category_l3_code="050101")
             for i in range(3)]
    rows += [order(order_id="W1", accept_time=dt.datetime(2025, 3, 3, 11, 0), category_l3_code="050101")]
    out = anomaly_inputs(frame(spark, rows), D, D, IndicatorConfig())
    got = {(r.geo_level, r.category_l3_code): r for r in out.collect()}
    a = got[("district", "030101")]
    assert (a.n_orders, a.baseline_days, a.baseline_median) == (6, 8, 2.0)
    assert a.baseline_sigma == pytest.approx(1.4826 * 0.5)
    assert a.z_score == pytest.approx(4 / (1.4826 * 0.5)) and a.alert_flag and not a.new_issue_flag
    n = got[("district", "050101")]
    assert n.new_issue_flag and n.z_score is None and not n.alert_flag
    assert got[("city", "030101")].n_orders == 6


def test_dictionary_documents_every_gold_column(spark):
    from jobs.indicators.transforms import aggregate_indicators, place_in_periods, prepare_orders
    from jobs.reference.tables import calendar, sla_rules
    from tests.indicators.silver_fixture import hand_built_orders

    cfg = IndicatorConfig()
    ind = aggregate_indicators(place_in_periods(prepare_orders(
        frame(spark, hand_built_orders()), spark.createDataFrame(sla_rules()),
        spark.createDataFrame(calendar(2025, 2025)), cfg), PeriodScope(D, D)), cfg)
    docs = documented_columns(cfg)
    assert set(ind.columns) == docs["ads_hotline_indicator"]
    text = render(cfg)
    for table, cols in docs.items():
        assert f"## {table}" in text
        assert all(f"`{c}`" in text for c in cols)
    assert "准格尔旗" in text and "inclusive of 基本满意" in text
    from jobs.common.config import PROJECT_ROOT

    committed = (PROJECT_ROOT / "docs" / "data-dictionary.md").read_text(encoding="utf-8")
    assert committed == text, "docs/data-dictionary.md is stale: run `minsheng indicators --dictionary`"

"""Data quality: rules into dq_results per batch, and a gate that names the rule and the numbers."""

from __future__ import annotations

import datetime as dt

import pytest
from pyspark.sql import functions as F

from jobs.quality import QualityGateError, TableRules, evaluate, load_rules, run
from tests.pipeline.conftest import DAY1, DAY2


def test_rule_file_is_well_formed():
    rules = load_rules()
    kinds = {r.kind for tr in rules.values() for r in tr.rules}
    assert kinds == {"completeness", "validity", "consistency", "timeliness", "uniqueness"}


def test_evaluate_counts_failures_per_batch(spark):
    tr = load_rules()["dwd_work_order_event"]
    df = spark.createDataFrame(
        [("A", 1, "E02", dt.datetime(2025, 3, 3, 9), None, "e1", dt.date(2025, 3, 3)),
         ("A", 2, "E77", dt.datetime(2025, 3, 3, 10), "D01", "e2", dt.date(2025, 3, 3)),
         ("A", 2, "E77", dt.datetime(2025, 3, 3, 10), "D01", "e2", dt.date(2025, 3, 3)),
         ("B", 1, "E03", dt.datetime(2025, 3, 4, 9), None, "e3", dt.date(2025, 3, 4))],
        "order_id string, seq int, event_code string, event_time timestamp, to_unit string, event_id string, "
        "event_date date")
    res = {(r.rule_id, r.batch_date.day): (r.rows_checked, r.rows_failed, r.passed)
           for r in evaluate(df, tr, {"CL-EVENT": ["E02", "E03"]}).collect()}
    assert res[("ev_code_valid", 3)] == (3, 2, False)
    assert res[("ev_dispatch_has_target", 3)] == (1, 1, False)
    assert res[("ev_unique", 3)] == (3, 1, False)
    assert res[("ev_code_valid", 4)] == (1, 0, True) and res[("ev_dispatch_has_target", 4)] == (0, 0, True)


def test_pipeline_batch_passes_the_gate_and_is_recorded(spark, catalogue, settings, standardised):
    summary = run(DAY1, DAY2, settings=settings)
    assert summary["failed"] == 0 and summary["rules_evaluated"] > 0
    dq = catalogue.read(spark, "dq_results")
    assert dq.filter("table_name = 'ops_ingest_log' AND rule_id = 'ingest_rows_balance'").count() == 2
    assert dq.filter(~F.col("passed")).isEmpty()
    before = sorted(map(tuple, dq.collect()))
    run(DAY1, DAY2, settings=settings)
    assert sorted(map(tuple, catalogue.read(spark, "dq_results").collect())) == before


def test_gate_stops_with_rule_and_numbers(spark, catalogue, settings, standardised, monkeypatch):
    import jobs.quality as Q

    strict = load_rules()
    strict["dwd_work_order"] = TableRules("dwd_work_order", "accept_date", [
        Q.Rule(id="wo_everything_dispatched", table="dwd_work_order", kind="completeness", threshold=0.9,
               check="dispatch_count > 0", description="every order is dispatched")])
    monkeypatch.setattr(Q, "load_rules", lambda: strict)
    # the message says what the rule means, so the operator knows what to fix
    with pytest.raises(QualityGateError, match=r"rule wo_everything_dispatched on dwd_work_order for 2025-03-03: "
                                               r"\d+ of 8 failed \(pass rate [0-9.]+% < threshold 90\.00%\) — "
                                               r"every order is dispatched"):
        run(DAY1, DAY2, settings=settings)


def test_a_missing_key_is_no_duplicate_and_a_finish_before_acceptance_fails_without_dispatch(spark):
    tr = load_rules()["dwd_work_order"]
    t = dt.datetime(2025, 3, 3, 9)
    rows = [("A", t, None, t - dt.timedelta(hours=1), None),       # direct answer finished before acceptance
            ("B", t, None, t + dt.timedelta(hours=1), None),
            (None, t, None, None, t - dt.timedelta(hours=2))]      # no id; call-back before acceptance
    cols = "order_id string, accept_time timestamp, dispatch_time timestamp, finish_time timestamp, revisit_time timestamp"
    df = spark.createDataFrame(rows, cols).withColumn("accept_date", F.to_date("accept_time"))
    only = TableRules(tr.table, tr.batch_column, [r for r in tr.rules if r.id in ("wo_order_id_unique", "wo_lifecycle_order")])
    res = {r.rule_id: (r.rows_checked, r.rows_failed) for r in evaluate(df, only, {}).collect()}
    assert res["wo_order_id_unique"] == (2, 0)
    assert res["wo_lifecycle_order"] == (3, 2)

"""Standardise: §7 A1/A2 rows, lifecycle state by MERGE, late / out-of-order events, 并单, repeats."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from pyspark.testing import assertDataFrameEqual

from jobs.common.catalogue import Catalogue
from tests.pipeline import landing_fixture as LF
from tests.pipeline.conftest import DAY1, DAY2

O1 = "HOTLINE-RX-20250303-000001"
LINEAGE = ["etl_time", "ingest_batch_id", "source_file", "content_raw_ref"]
STATE = ["order_id", "channel_code", "appeal_type_code", "urgency_code", "category_l3_code", "district_code",
         "street_code", "community_code", "dispatch_time", "main_dept_code", "sign_time", "first_contact_time",
         "sla_rule_id", "original_due_time", "due_time", "dispatch_count", "return_count", "reassign_count",
         "extension_count", "urge_count", "finish_time", "result_code", "revisit_time", "solved_code",
         "satisfaction_code", "revisit_valid_flag", "status_code", "merged_into_id", "repeat_flag", "dup_group_id",
         "is_valid"]


def ts(s: str) -> dt.datetime:
    return dt.datetime.fromisoformat(s)


def test_orders_follow_the_standard(spark, catalogue, standardised):
    wo = catalogue.read(spark, "dwd_work_order")
    assert wo.count() == 9
    from jobs.standardise.assemble import A1_COLUMNS
    assert wo.columns[: len(A1_COLUMNS)] == A1_COLUMNS and "accept_date" in wo.columns
    ev = catalogue.read(spark, "dwd_work_order_event")
    assert ev.columns[:9] == ["order_id", "seq", "event_code", "event_time", "from_unit", "to_unit", "operator_hash",
                              "reason_code", "remark_redacted"]
    assert ev.filter("event_id = 'EV-10'").first().reason_code == "R1"  # the return reason survives
    chans = {r.order_id: (r.channel_code, r.source_system) for r in wo.select("order_id", "channel_code", "source_system").collect()}
    assert chans["ONLINE-WX2025030300001"] == ("03", "ONLINE") and chans["ONLINE-WB2025030300002"] == ("02", "ONLINE")
    assert chans["GRID-GR-990104003-20250303-0001"] == ("10", "GRID") and chans["OPINION-WB-8837462"] == ("99", "OPINION")
    grid = wo.filter("source_system = 'GRID'").first()
    assert (grid.district_code, grid.street_code, grid.lon, grid.accept_time) == (
        "990104", "990104003", 118.816, ts("2025-03-03 08:40:00"))
    op = wo.filter("source_system = 'OPINION'").first()
    assert op.accept_time == ts("2025-03-03 08:45:00") and op.accept_date == DAY1


def test_lifecycle_state_sla_and_extensions(spark, catalogue, standardised):
    wo = catalogue.read(spark, "dwd_work_order").select(*STATE)
    got = wo.filter(f"order_id IN ('{O1}', 'HOTLINE-RX-20250303-000002', 'HOTLINE-RX-20250303-000003')")
    base = dict(channel_code="01", appeal_type_code="03", urgency_code="3", category_l3_code="030101",
                district_code="990104", street_code="990104003", community_code="990104003002", is_valid=True)
    expected = [
        dict(order_id=O1, **base, dispatch_time=ts("2025-03-03 08:30:00"), main_dept_code="D08",
            sign_time=ts("2025-03-03 09:00:00"), first_contact_time=ts("2025-03-03 10:00:00"), sla_rule_id="V1-03",
            # 15 working days after Mon 3 March = Mon 24 March; + 3 approved working days = Thu 27 March
            original_due_time=ts("2025-03-24 23:59:59"), due_time=ts("2025-03-27 23:59:59"), dispatch_count=1,
            return_count=0, reassign_count=0, extension_count=1, urge_count=1, finish_time=ts("2025-03-04 15:00:00"),
            result_code="01", revisit_time=ts("2025-03-04 18:00:00"), solved_code="1", satisfaction_code="4",
            revisit_valid_flag=True, status_code="40", merged_into_id=None, repeat_flag=False, dup_group_id=O1),
        dict(order_id="HOTLINE-RX-20250303-000002", **{**base, "category_l3_code": "050202"},
            dispatch_time=ts("2025-03-03 09:30:00"), main_dept_code="D20", sign_time=None, first_contact_time=None,
            sla_rule_id="V1-03", original_due_time=ts("2025-03-24 23:59:59"), due_time=ts("2025-03-24 23:59:59"),
            dispatch_count=1, return_count=1, reassign_count=1, extension_count=0, urge_count=0, finish_time=None,
            result_code=None, revisit_time=None, solved_code=None, satisfaction_code=None, revisit_valid_flag=None,
            status_code="20", merged_into_id=None, repeat_flag=False, dup_group_id=None),
        dict(order_id="HOTLINE-RX-20250303-000003", **{**base, "appeal_type_code": "01"}, dispatch_time=None,
            main_dept_code=None, sign_time=None, first_contact_time=None, sla_rule_id="V1-01",
            original_due_time=ts("2025-03-05 23:59:59"), due_time=ts("2025-03-05 23:59:59"), dispatch_count=0,
            return_count=0, reassign_count=0, extension_count=0, urge_count=0, finish_time=None, result_code=None,
            revisit_time=None, solved_code=None, satisfaction_code=None, revisit_valid_flag=None, status_code="11",
            merged_into_id=None, repeat_flag=False, dup_group_id=None),
    ]
    rows = [tuple(e[c] for c in STATE) for e in expected]  # in STATE order, whatever the dict order
    assertDataFrameEqual(got, spark.createDataFrame(rows, got.schema))


def test_merge_link_and_repeat_flag(spark, catalogue, standardised):
    wo = catalogue.read(spark, "dwd_work_order")
    merged = wo.filter("order_id = 'ONLINE-WX2025030300001'").first()
    assert (merged.status_code, merged.merged_into_id) == ("70", O1)
    repeat = wo.filter("order_id = 'HOTLINE-RX-20250303-000004'").first()
    assert (repeat.repeat_flag, repeat.dup_group_id, repeat.status_code) == (True, O1, "10")


def test_personal_information_is_pseudonymised_and_redacted(spark, catalogue, standardised):
    from jobs.common.security import hmac_hex, pii_key

    r = catalogue.read(spark, "dwd_work_order").filter(f"order_id = '{O1}'").first()
    assert r.caller_phone_hash == hmac_hex("13812345678", pii_key())
    assert (r.caller_phone_masked, r.caller_name_masked) == ("138****5678", "张*")
    assert r.content_redacted == "我叫[姓名]，电话[手机号]，家里停水三天了"
    assert r.address_masked == "南湖区阳安街道丰江社区"
    r2 = catalogue.read(spark, "dwd_work_order").filter("order_id = 'HOTLINE-RX-20250303-000002'").first()
    assert "[身份证号]" in r2.content_redacted and "11010519491231002X" not in r2.content_redacted
    remark = catalogue.read(spark, "dwd_work_order_event").filter("event_id = 'EV-3'").first().remark_redacted
    assert remark == "已联系[姓名]，电话[手机号]"


def _snapshot(spark, cat, name):
    return sorted(map(tuple, cat.read(spark, name).collect()))


def test_running_three_times_leaves_identical_tables(spark, catalogue, settings, standardised):
    from jobs.ingest import run as ingest
    from jobs.standardise import run

    names = ["dwd_work_order", "dwd_work_order_event", "bronze_phone", "quarantine"]
    before = {n: _snapshot(spark, catalogue, n) for n in names}
    for _ in range(2):
        ingest(DAY1, DAY2, settings=settings)
        run(DAY1, DAY2, settings=settings)
    assert {n: _snapshot(spark, catalogue, n) for n in names} == before


@pytest.fixture(scope="module")
def in_order_lake(spark, separate_lake):
    """A second lake fed in time order, one delivery day after the other (no late or shuffled events)."""
    from jobs.ingest import run as ingest
    from jobs.standardise import run as standardise

    s = separate_lake("in_order")
    cat = Catalogue(s)
    landing = Path(s.landing_uri)
    LF.write_landing(landing)
    events = sorted(LF.EVENTS_ALL, key=lambda e: e["event_time"])
    for day in (LF.D1, LF.D2):
        folder = landing / "event" / f"dt={day}"
        for f in folder.glob("*.jsonl"):
            f.unlink()
        todays = [e for e in events if e["event_time"].startswith(day)]
        (folder / f"events_{day.replace('-', '')}_01.jsonl").write_text(
            "".join(json.dumps(e, ensure_ascii=False) + "\n" for e in todays), encoding="utf-8")
    for day in (DAY1, DAY2):
        ingest(day, day, settings=s)
        standardise(day, day, settings=s)
    return s, cat


def test_late_and_out_of_order_events_give_the_in_order_state(spark, catalogue, standardised, in_order_lake):
    _, cat_b = in_order_lake
    a = catalogue.read(spark, "dwd_work_order").drop(*LINEAGE)
    b = cat_b.read(spark, "dwd_work_order").drop(*LINEAGE)
    assertDataFrameEqual(a, b)
    ev_cols = ["order_id", "seq", "event_code", "event_time", "to_unit", "event_id", "extension_days"]
    assertDataFrameEqual(catalogue.read(spark, "dwd_work_order_event").select(*ev_cols),
                         cat_b.read(spark, "dwd_work_order_event").select(*ev_cols))


def test_a_merged_order_always_links_its_survivor(spark, catalogue, standardised, in_order_lake):
    """Status 70 (并单) and merged_into_id are decided together, also when a later day's run sees the
    order again as a stored neighbour (the in-order lake standardises day 2 with day 1 stored)."""
    _, in_order = in_order_lake
    for cat in (catalogue, in_order):
        wo = cat.read(spark, "dwd_work_order")
        assert wo.filter("status_code = '70'").count() >= 1
        assert wo.filter("status_code = '70' AND merged_into_id IS NULL").count() == 0
        assert wo.filter("merged_into_id IS NOT NULL AND status_code NOT IN ('70', '80')").count() == 0

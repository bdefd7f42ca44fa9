"""Ingest: bronze with lineage, quarantine with reasons, re-deliveries skipped, counts that add up."""

from __future__ import annotations

import json

from pyspark.sql import functions as F

from jobs.ingest import run
from tests.pipeline import landing_fixture as LF
from tests.pipeline.conftest import DAY1, DAY2


def _snapshot(spark, catalogue, names):
    return {n: sorted(map(tuple, catalogue.read(spark, n).drop("ingest_time").collect())) for n in names}


def test_every_dirty_row_is_quarantined_with_its_reason(spark, catalogue, ingested):
    got = {(r.channel, r.source_file.rsplit("/", 1)[-1], r.line_no): r.reason_code
           for r in catalogue.read(spark, "quarantine").collect()}
    assert got == LF.EXPECTED_QUARANTINE
    row = catalogue.read(spark, "quarantine").filter("reason_code = 'missing_field'").first()
    assert "诉求内容" not in row.reason_detail and "content" in row.reason_detail
    assert row.raw_line.startswith("RX-20250303-000005,") and row.record_id == "RX-20250303-000005"


def test_accepted_rows_reach_bronze_with_lineage(spark, catalogue, ingested):
    for channel, n in LF.EXPECTED_ACCEPTED.items():
        df = catalogue.read(spark, f"bronze_{channel}")
        assert df.count() == n, channel
        assert df.filter(F.col("batch_id").isNull() | F.col("row_hash").isNull() | F.col("source_file").isNull()).isEmpty()
    phone = catalogue.read(spark, "bronze_phone")
    assert "content" not in phone.columns and "address" not in phone.columns  # free text only in the restricted table
    gbk = phone.filter("source_order_id = 'RX-20250304-000001'").first()
    assert (gbk.caller_name, gbk.encoding, gbk.dt) == ("孙八", "gbk", DAY2)
    raw = catalogue.read(spark, "bronze_raw_text").filter("record_id = 'RX-20250303-000002'").first()
    assert raw.content == LF.PHONE_D1[1][9]  # the quoted multi-line field survives intact
    rescued = catalogue.read(spark, "bronze_online").filter("msg_id = 'WB2025030300002'").first()
    assert json.loads(rescued._rescued_data) == {"client_ip": "10.0.0.8"}
    assert catalogue.read(spark, "bronze_online").filter("_rescued_data IS NOT NULL").count() == 1
    # the event feed's own reason_code (why a department returned the order) is a field like any other:
    # it was once overwritten by the ingest's rejection reason, null for every accepted row
    reasons = {r.event_id: r.reason_code for r in catalogue.read(spark, "bronze_event").collect()}
    assert reasons["EV-10"] == "R1" and sum(v is not None for v in reasons.values()) == 1


def test_rows_read_equals_accepted_plus_quarantined_per_batch(spark, catalogue, ingested):
    log = catalogue.read(spark, "ops_ingest_log")
    ingested_rows = log.filter("status = 'ingested'").collect()
    assert ingested_rows and all(r.rows_read == r.rows_accepted + r.rows_quarantined for r in ingested_rows)
    total_q = sum(r.rows_quarantined for r in ingested_rows)
    assert total_q == len(LF.EXPECTED_QUARANTINE)
    skips = {(r.channel, "/".join(r.source_file.rsplit("/", 2)[-2:])): r.status
             for r in log.filter("status LIKE 'skipped%'").collect()}
    assert skips == LF.EXPECTED_SKIPS
    dup = log.filter("status = 'skipped_duplicate_file'").first()
    assert dup.duplicate_of.endswith("dt=2025-03-03/hotline_20250303_01.csv")


def test_rerunning_adds_nothing(spark, catalogue, settings, ingested):
    names = ["bronze_phone", "bronze_online", "bronze_event", "bronze_raw_text", "quarantine", "ops_ingest_log",
             "ops_ingested_file"]
    before = _snapshot(spark, catalogue, names)
    for _ in range(2):
        again = run(DAY1, DAY2, settings=settings)
        assert all(c["files_ingested"] == 0 and c["files_skipped"] == 0 for c in again["channels"].values())
    assert _snapshot(spark, catalogue, names) == before
    one_day = run(DAY2, DAY2, channel="phone", settings=settings)
    assert one_day["channels"]["phone"]["rows_read"] == 0

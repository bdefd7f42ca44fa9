"""Personal information: keyed pseudonyms, masks, redaction, and a scanner that fires on a leak."""

from __future__ import annotations

import pytest
from pyspark.sql import functions as F

from jobs.common import security as S
from jobs.privacy import PiiLeakError, run_scan, scan_frame


def test_key_comes_only_from_the_environment():
    with pytest.raises(S.PiiKeyMissingError, match="MINSHENG_PII_KEY"):
        S.pii_key(env={})
    assert S.pii_key(env={"MINSHENG_PII_KEY": "k" * 16}) == b"k" * 16


def test_hmac_equals_rfc2104_and_depends_on_the_key(spark):
    df = spark.createDataFrame([("13812345678",), ("+86 138-1234-5678",), (None,)], "p string")
    k1, k2 = b"first-key-0123456", b"second-key-012345"
    rows = df.select(S.phone_hash("p", k1).alias("a"), S.phone_hash("p", k2).alias("b")).collect()
    assert rows[0].a == S.hmac_hex("13812345678", k1) == rows[1].a  # normalised before hashing: repeats join
    assert rows[0].b == S.hmac_hex("13812345678", k2) != rows[0].a
    assert rows[2].a is None


def test_masks(spark):
    df = spark.createDataFrame([("13812345678", "张伟", "11010519491231002X"), ("025-84561234", "欧阳娜娜", "")],
                               "p string, n string, i string")
    got = [tuple(r) for r in df.select(S.mask_phone("p"), S.mask_name("n"), S.mask_id("i")).collect()]
    assert got == [("138****5678", "张*", "110***********002X"), ("025****34", "欧***", None)]


def test_redaction_tokens(spark):
    text = ("我叫王小明，手机13912345678，身份证110105194912310021，银行卡6222 0212 3456 7890，"
            "车牌苏A·D1234，住桂园小区3栋2单元502室，李先生也来过")
    got = spark.createDataFrame([(text,)], "t string").select(S.redact_text("t")).first()[0]
    assert got == ("我叫[姓名]，手机[手机号]，身份证[身份证号]，银行卡[银行卡号]，车牌[车牌号]，[详细地址]，[姓名]也来过")


def test_redaction_guards_keep_plain_text_and_still_catch_each_kind(spark):
    # The guards skip a pattern when its necessary condition is absent: these rows check both sides.
    rows = [
        ("路灯不亮已经三天了，晚上出行很不方便。",),  # nothing to redact
        ("联系人：张伟，电话138 1234 5678",),  # grouped mobile: only 4 digits in a row
        ("京B12345停在消防通道",),  # plate with no other capital letter
        ("幸福路12号院噪声扰民",),  # street-number address
        ("3月5号以后一直停水",),  # passes the address guard but is a date, not an address
        (None,),
    ]
    got = [r[0] for r in spark.createDataFrame(rows, "t string").select(S.redact_text("t")).collect()]
    assert got == [
        "路灯不亮已经三天了，晚上出行很不方便。",
        "联系人：[姓名]，电话[手机号]",
        "[车牌号]停在消防通道",
        "[详细地址]噪声扰民",
        "3月5号以后一直停水",
        None,
    ]


def test_scanner_fires_on_a_planted_leak(spark):
    clean = spark.createDataFrame([("138****5678", "a" * 64, ["标签"])], "m string, h string, tags array<string>")
    assert scan_frame(clean) == {}
    leak = clean.withColumn("m", F.lit("请回电13812345678")).withColumn("tags", F.array(F.lit("110105194912310021")))
    assert scan_frame(leak) == {"m": {"phone": 1}, "tags": {"id_card": 1}}


def test_zero_hits_in_silver_and_a_planted_leak_stops_the_run(spark, catalogue, settings, standardised):
    summary = run_scan(settings=settings)
    assert summary["tables"]["dwd_work_order"] == "clean" and summary["tables"]["dwd_work_order_event"] == "clean"
    assert "quarantine" not in summary["tables"]  # restricted (sensitive) zone is not scanned
    from jobs.common import delta
    row = catalogue.read(spark, "dwd_work_order").limit(1).withColumn("order_id", F.lit("LEAK-1")) \
        .withColumn("content_redacted", F.lit("回电13812345678"))
    delta.append(row, catalogue, "dwd_work_order")
    try:
        with pytest.raises(PiiLeakError, match=r"dwd_work_order\.content_redacted: 1 value"):
            run_scan(["dwd_work_order"], settings=settings)
    finally:
        from delta.tables import DeltaTable
        DeltaTable.forPath(spark, catalogue.location("dwd_work_order")).delete("order_id = 'LEAK-1'")
        run_scan(["dwd_work_order"], settings=settings, full=True)  # the fixed table is the new starting point


def _scan_log(spark, catalogue):
    return [r.asDict() for r in catalogue.read(spark, "ops_pii_scan").filter("table_name = 'dwd_work_order'")
            .orderBy("scanned_at").collect()]


def test_incremental_scan_reads_only_what_changed_and_keeps_reporting_a_leak(spark, catalogue, settings,
                                                                              standardised):
    from delta.tables import DeltaTable

    from jobs.common import delta

    orders = DeltaTable.forPath(spark, catalogue.location("dwd_work_order"))
    n = catalogue.read(spark, "dwd_work_order").count()
    full = run_scan(["dwd_work_order"], settings=settings, full=True)["scans"]["dwd_work_order"]
    assert full["mode"] == "full" and full["rows"] == n and full["since"] is None
    again = run_scan(["dwd_work_order"], settings=settings)["scans"]["dwd_work_order"]
    assert again == {"version": full["version"], "since": full["version"], "mode": "unchanged", "rows": 0}

    one = catalogue.read(spark, "dwd_work_order").limit(1)
    delta.append(one.withColumn("order_id", F.lit("NEW-1")), catalogue, "dwd_work_order")
    step = run_scan(["dwd_work_order"], settings=settings)["scans"]["dwd_work_order"]
    assert step["mode"] == "changes" and step["rows"] == 1 and step["since"] == full["version"]
    try:
        delta.append(one.withColumn("order_id", F.lit("LEAK-2")).withColumn("title", F.lit("身份证110105194912310021")),
                     catalogue, "dwd_work_order")
        with pytest.raises(PiiLeakError, match=r"dwd_work_order\.title: 1 value"):
            run_scan(["dwd_work_order"], settings=settings)
        orders.delete("order_id = 'LEAK-2'")
        # deleting the row does not clear the record: the commit that wrote it is still after the last clean scan
        with pytest.raises(PiiLeakError):
            run_scan(["dwd_work_order"], settings=settings)
        log = _scan_log(spark, catalogue)
        assert [(r["mode"], r["since_version"], r["hits"]) for r in log[-2:]] == [
            ("changes", step["version"], 1), ("changes", step["version"], 1)]
        fixed = run_scan(["dwd_work_order"], settings=settings, full=True)["scans"]["dwd_work_order"]
        assert fixed["mode"] == "full" and fixed["rows"] == n + 1  # NEW-1 is still there, LEAK-2 is gone
        assert run_scan(["dwd_work_order"], settings=settings)["scans"]["dwd_work_order"]["mode"] == "unchanged"
    finally:
        orders.delete("order_id IN ('NEW-1', 'LEAK-2')")
        run_scan(["dwd_work_order"], settings=settings, full=True)


def test_a_range_without_change_data_gets_a_full_scan_and_the_next_write_restores_the_feed(
        spark, catalogue, settings, standardised):
    from jobs.common import delta

    loc = catalogue.location("dwd_work_order")
    run_scan(["dwd_work_order"], settings=settings, full=True)
    spark.sql(f"ALTER TABLE delta.`{loc}` SET TBLPROPERTIES ('delta.enableChangeDataFeed' = 'false')")
    n = catalogue.read(spark, "dwd_work_order").count()
    scan = run_scan(["dwd_work_order"], settings=settings)["scans"]["dwd_work_order"]
    assert scan["mode"] == "full" and scan["rows"] == n  # the feed does not cover the ALTER's commit
    assert delta.reconcile_properties(spark, catalogue, "dwd_work_order") == {"delta.enableChangeDataFeed": "true"}
    assert delta.reconcile_properties(spark, catalogue, "dwd_work_order") == {}  # nothing left to set
    props = delta.table(spark, catalogue, "dwd_work_order").detail().select("properties").first()[0]
    assert props["delta.enableChangeDataFeed"] == "true"

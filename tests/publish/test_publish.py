"""Publish to a real S3 protocol server (moto on loopback) from real gold Delta tables."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json

import pandas as pd
import pytest
from pyspark.testing import assertDataFrameEqual

from jobs.common import delta
from jobs.indicators.config import IndicatorConfig
from jobs.indicators.dictionary import documented_columns
from jobs.indicators.job import GOLD_TABLES, compute_and_write
from jobs.indicators.registry import indicators, measures
from jobs.publish.job import AUDIT_TABLE, PublishPiiError, json_bytes, publish
from jobs.publish.transforms import dept_extract, pii_hits
from tests.indicators.silver_fixture import DAY, frame, hand_built_orders, order

NOW = dt.datetime(2025, 3, 5, 8, 0)


@pytest.fixture(scope="module")
def pub_catalogue(separate_lake):
    """A lake and a publish bucket of this module's own: its hand-built silver must not meet the pipeline
    tests' real silver, and the tests below assert what is (and is not) under ``share/`` — the daily DAG
    run publishes other departments' extracts to the profile's bucket on the same server."""
    import dataclasses

    from jobs.common.catalogue import Catalogue

    s = separate_lake("publish")
    return Catalogue(dataclasses.replace(s, s3={**s.s3, "publish_bucket": "publish-module-test"}))


@pytest.fixture(scope="module")
def s3_settings(pub_catalogue, s3_endpoint):
    """This module's lake with the S3 endpoint of the session's moto server."""
    import dataclasses

    s = pub_catalogue.settings
    return dataclasses.replace(s, s3={**s.s3, "endpoint_url": s3_endpoint})


@pytest.fixture(scope="module")
def lake(spark, pub_catalogue):
    delta.overwrite(frame(spark, hand_built_orders()), pub_catalogue, "dwd_work_order")
    summary = compute_and_write(spark, pub_catalogue, DAY, DAY)
    return summary


@pytest.fixture(scope="module")
def s3(s3_settings):
    from jobs.common.s3 import client

    return client(s3_settings)


def _get(s3, bucket, key) -> bytes:
    return s3.get_object(Bucket=bucket, Key=key)["Body"].read()


def test_indicator_run_is_idempotent(spark, pub_catalogue, lake):
    before = {t: pub_catalogue.read(spark, t) .cache() for t in GOLD_TABLES}
    for t in GOLD_TABLES:
        before[t].count()
    for _ in range(2):
        compute_and_write(spark, pub_catalogue, DAY, DAY)
    for t in GOLD_TABLES:
        assertDataFrameEqual(pub_catalogue.read(spark, t), before[t])
        props = delta.table(spark, pub_catalogue, t).detail().select("properties").first()[0]
        assert props["minsheng.data_grade"] == "general"
    assert lake["rows"]["ads_hotline_indicator"] > 0
    documented = documented_columns()
    for t in GOLD_TABLES:
        assert set(pub_catalogue.read(spark, t).columns) == documented[t], t
    ranking = pub_catalogue.read(spark, "ads_dept_ranking").filter("period_type = 'day'").collect()
    assert {r.dept_code: r.rank_status for r in ranking} == {"D01": "样本不足", "D02": "样本不足"}


def test_publish_day(spark, pub_catalogue, lake, s3, s3_settings):
    bucket = s3_settings.s3["publish_bucket"]
    summary = publish(spark, pub_catalogue, s3, "day", DAY, DAY, now=NOW, actor="tester")
    prefix = f"indicators/period=day/{DAY}/"
    manifest = json.loads(_get(s3, bucket, prefix + "_manifest.json"))
    assert manifest["schema_version"] == "1.0" and manifest["data_grade"] == "general"
    assert manifest["period_start"] == str(DAY) and manifest["run_id"] == summary["run_id"]
    assert manifest["generated_at"].startswith("2025-03-05T08:00")
    assert set(manifest["datasets"]) == {"indicators", "livelihood_signs", "dept_ranking", "anomaly_inputs"}
    for name, entry in manifest["datasets"].items():
        for f in entry["files"]:
            body = _get(s3, bucket, f["key"])
            assert hashlib.sha256(body).hexdigest() == f["sha256"], f["key"]
            n = len(pd.read_parquet(io.BytesIO(body))) if f["format"] == "parquet" else len(json.loads(body))
            assert n == entry["rows"], (name, f["format"])

    ind = pd.read_parquet(io.BytesIO(_get(s3, bucket, manifest["datasets"]["indicators"]["files"][0]["key"])))
    city = ind[(ind.geo_level == "city") & (ind.category_code == "*") & (ind.dept_code == "*")].iloc[0]
    assert city.n_acc == 6 and pd.isna(city.three_rate_score)      # |E_P| = 2 < 5: suppressed
    assert city.transfer_rate == pytest.approx(4 / 6)                  # N_acc = 6: published
    # District 990103 has a single order on the day: the whole cell is suppressed.
    assert ind[(ind.geo_level == "district") & (ind.geo_code == "990103")].empty
    # Every published figure describes at least 5 orders (its support population).
    cfg = IndicatorConfig()
    support = {m.name: m.supports for m in measures(cfg)} | {i.name: i.supports for i in indicators(cfg)}
    for col, sups in support.items():
        shown = ind[ind[col].notna()]
        for sup in sups:
            assert (shown[sup] >= 5).all(), col
    assert len(ind) > 0


def test_each_figure_is_suppressed_by_its_own_population(spark):
    """A cell of 100 accepted orders with one timed handling, two signed orders and one rated call-back:
    the figures over those few orders are NULL, whatever the cell's other counts; the composite goes
    with any of its three rates (else the suppressed one could be solved for from the published score);
    the 体征 row publishes a rate only as the indicators do; the ranking's score likewise."""
    from jobs.publish.transforms import suppress_indicators, suppress_ranking, suppress_signs

    cfg = IndicatorConfig()
    ms, inds = measures(cfg), indicators(cfg)
    keys = {"period_type": "day", "period_start": DAY, "geo_level": "city", "geo_code": "990100",
            "category_level": "all", "category_code": "*", "dept_code": "*"}
    small = {"n_handling_timed": 1, "n_response_timed": 1, "n_signed": 2, "n_sat_rated": 1}
    values = {**{m.name: float(small.get(m.name, 100)) for m in ms}, **{i.name: 0.5 for i in inds}}
    values.update(median_handling_h=3.0, median_handling_hours=3.0, avg_handling_hours=3.0, three_rate_score=74.5)
    row = {**keys, **values}
    ind = spark.createDataFrame([tuple(row.values())], ", ".join(
        f"{k} {'date' if k == 'period_start' else 'string' if isinstance(v, str) else 'double'}" for k, v in row.items()))
    out = suppress_indicators(ind, cfg).first().asDict()
    for name in ("median_handling_h", "p90_handling_h", "sum_handling_h", "sum_handling_work_h", "avg_handling_hours",
                 "avg_handling_work_hours", "median_handling_hours", "p90_handling_hours", "sum_response_h",
                 "avg_response_hours", "response_rate", "satisfaction_rate", "satisfaction_score", "three_rate_score"):
        assert out[name] is None, name
    for name in ("n_finished", "n_acc", "solve_rate", "transfer_rate", "n_evaluable", "repeat_rate", "risk_share"):
        assert out[name] is not None, name

    signs = spark.createDataFrame(
        [(*keys.values(), 100, 1.0, 0.5, 0.5, 0.5, None, None)],
        "period_type string, period_start date, geo_level string, geo_code string, category_level string, "
        "category_code string, dept_code string, n_acc bigint, satisfaction_rate double, ontime_completion_rate double, "
        "repeat_rate double, risk_share double, n_acc_prev_period bigint, n_acc_prev_year bigint").drop("dept_code")
    signs = signs.withColumns({"mom_growth": signs.n_acc_prev_period * 1.0, "yoy_growth": signs.n_acc_prev_year * 1.0})
    sign = suppress_signs(signs, suppress_indicators(ind, cfg)).first().asDict()
    assert sign["satisfaction_rate"] is None and sign["n_acc"] == 100
    assert (sign["ontime_completion_rate"], sign["repeat_rate"], sign["risk_share"]) == (0.5, 0.5, 0.5)

    ranking = spark.createDataFrame([(2, 10, 10, 0.5, 0.8, 0.9, 74.5), (10, 10, 10, 0.5, 0.8, 0.9, 74.5)],
                                    "n_signed bigint, n_evaluable bigint, n_sat_rated bigint, response_rate double, "
                                    "solve_rate double, satisfaction_rate double, three_rate_score double")
    ranked = suppress_ranking(ranking).collect()
    assert (ranked[0].response_rate, ranked[0].three_rate_score) == (None, None)
    assert ranked[1].three_rate_score == 74.5


def test_republish_replaces_the_period(spark, pub_catalogue, lake, s3, s3_settings):
    bucket = s3_settings.s3["publish_bucket"]
    first = publish(spark, pub_catalogue, s3, "day", DAY, DAY, now=NOW, actor="tester")
    second = publish(spark, pub_catalogue, s3, "day", DAY, DAY, now=NOW + dt.timedelta(hours=1), actor="tester")
    prefix = f"indicators/period=day/{DAY}/"
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix=prefix)["Contents"]]
    assert f"{prefix}_manifest.json" in keys
    runs = {k.split("/")[3] for k in keys if "/run=" in k}
    assert runs == {f"run={second['run_id']}"} and first["run_id"] != second["run_id"]
    manifest = json.loads(_get(s3, bucket, prefix + "_manifest.json"))
    assert manifest["run_id"] == second["run_id"]


def test_republishing_a_range_replaces_every_period(spark, pub_catalogue, lake, s3, s3_settings):
    """A range lists each root's earlier runs once up front; every period still ends with one run."""
    bucket = s3_settings.s3["publish_bucket"]
    before = DAY - dt.timedelta(days=1)
    first = publish(spark, pub_catalogue, s3, "day", before, DAY, now=NOW, actor="tester")
    second = publish(spark, pub_catalogue, s3, "day", before, DAY, now=NOW + dt.timedelta(hours=2), actor="tester")
    assert first["run_id"] != second["run_id"] and set(second["shares"]) and second["periods"].keys() == {
        str(before), str(DAY)}
    keys = [o["Key"] for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket)
            for o in page.get("Contents", [])]
    touched = [k for k in keys if f"/{before}/" in k or f"/{DAY}/" in k]
    runs = {k.split("run=")[1].split("/")[0] for k in touched if "/run=" in k}
    assert runs == {second["run_id"]}                                  # no earlier run's file is left
    for dept, days in second["shares"].items():                        # and each share has its manifest
        for day in days:
            m = json.loads(_get(s3, bucket, f"share/dept={dept}/period=day/{day}/_manifest.json"))
            assert m["run_id"] == second["run_id"]


def test_department_extract_has_only_its_own_orders_masked(spark, pub_catalogue, lake, s3, s3_settings):
    bucket = s3_settings.s3["publish_bucket"]
    summary = publish(spark, pub_catalogue, s3, "day", DAY, DAY, now=NOW, actor="tester")
    assert set(summary["shares"]) == {"D01"}          # O8 (D02) was accepted before the day
    prefix = f"share/dept=D01/period=day/{DAY}/"
    manifest = json.loads(_get(s3, bucket, prefix + "_manifest.json"))
    assert manifest["data_grade"] == "internal" and manifest["recipient"] == "D01"
    files = {f["format"]: f["key"] for f in manifest["datasets"]["orders"]["files"]}
    ext = pd.read_parquet(io.BytesIO(_get(s3, bucket, files["parquet"])))
    assert sorted(ext.order_id) == ["O1", "O2", "O4", "O6"]          # O5 is void, O3/O7 never dispatched
    assert set(ext.main_dept_code) == {"D01"}
    assert "caller_phone_hash" not in ext.columns and "lon" not in ext.columns
    assert set(ext.caller_phone_masked) == {"138****5678"} and set(ext.caller_name_masked) == {"张*"}
    js = json.loads(_get(s3, bucket, files["json"]))
    assert [r["order_id"] for r in js] == list(ext.order_id)
    assert js[0]["accept_time"].endswith("+08:00")
    # Nothing outside the department's own prefix carries its orders, and no other prefix exists.
    listed = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix="share/")["Contents"]]
    assert all(k.startswith("share/dept=D01/") for k in listed)


def test_republish_withdraws_an_extract_the_department_no_longer_has(spark, pub_catalogue, lake, s3, s3_settings):
    """D01's orders of the day are reassigned to D02 after a publish: re-publishing the day leaves D01 nothing
    of it (manifest and files withdrawn, audited), and D02 receives them."""
    from pyspark.sql import functions as F

    bucket = s3_settings.s3["publish_bucket"]
    publish(spark, pub_catalogue, s3, "day", DAY, DAY, now=NOW, actor="tester")
    d01 = f"share/dept=D01/period=day/{DAY}/"
    assert s3.list_objects_v2(Bucket=bucket, Prefix=d01).get("KeyCount", 0) >= 3
    original = pub_catalogue.read(spark, "dwd_work_order").toPandas()
    moved = frame(spark, hand_built_orders()).withColumn(
        "main_dept_code", F.when(F.col("main_dept_code") == "D01", F.lit("D02")).otherwise(F.col("main_dept_code")))
    try:
        delta.overwrite(moved, pub_catalogue, "dwd_work_order")
        summary = publish(spark, pub_catalogue, s3, "day", DAY, DAY, now=NOW + dt.timedelta(hours=3), actor="tester")
        assert set(summary["shares"]) == {"D02"} and summary["withdrawn"] == [d01]
        assert s3.list_objects_v2(Bucket=bucket, Prefix=d01).get("KeyCount", 0) == 0
        manifest = json.loads(_get(s3, bucket, f"share/dept=D02/period=day/{DAY}/_manifest.json"))
        assert manifest["datasets"]["orders"]["rows"] == 4
        audit = pub_catalogue.read(spark, AUDIT_TABLE).filter(f"run_id = '{summary['run_id']}'").toPandas()
        withdrawn = audit[audit.action == "withdraw"]
        assert list(withdrawn.recipient) == ["D01"] and list(withdrawn.object_key) == [d01]
        assert list(withdrawn.period_start) == [DAY] and list(withdrawn.rows) == [0]
    finally:
        delta.overwrite(frame(spark, hand_built_orders()), pub_catalogue, "dwd_work_order")
        publish(spark, pub_catalogue, s3, "day", DAY, DAY, now=NOW, actor="tester")
    assert len(original) == pub_catalogue.read(spark, "dwd_work_order").count()
    assert s3.list_objects_v2(Bucket=bucket, Prefix=f"share/dept=D02/period=day/{DAY}/").get("KeyCount", 0) == 0


def test_every_publish_and_share_is_audited(spark, pub_catalogue, lake, s3, s3_settings):
    bucket = s3_settings.s3["publish_bucket"]
    summary = publish(spark, pub_catalogue, s3, "week", DAY, DAY, now=NOW, actor="auditor")
    audit = pub_catalogue.read(spark, AUDIT_TABLE).filter(f"run_id = '{summary['run_id']}'").toPandas()
    assert len(audit) == summary["audit_rows"] > 0
    assert set(audit.action) == {"publish", "share"} and set(audit.actor) == {"auditor"}
    assert set(audit[audit.action == "share"].recipient) == {"D01"}
    for row in audit.itertuples():
        body = _get(s3, bucket, row.object_key)
        assert hashlib.sha256(body).hexdigest() == row.sha256 and len(body) == row.bytes
        assert row.uri == f"s3://{bucket}/{row.object_key}" and row.period_start == dt.date(2025, 3, 3)


def test_a_failed_upload_leaves_every_period_that_went_up_audited(spark, pub_catalogue, lake, s3, s3_settings):
    """The object store refuses the day's indicator files of a two-day publish: the run fails, and every
    period it did put up (manifest written) is in the audit table, file by file, and nothing else is."""
    bucket = s3_settings.s3["publish_bucket"]
    before = DAY - dt.timedelta(days=1)

    class RefusingStore:
        def __init__(self, real):
            self._real = real

        def __getattr__(self, name):
            return getattr(self._real, name)

        def put_object(self, **kw):
            if kw["Key"].startswith(f"indicators/period=day/{DAY}/"):
                raise RuntimeError("the object store refused the upload")
            return self._real.put_object(**kw)

    with pytest.raises(RuntimeError, match="refused"):
        publish(spark, pub_catalogue, RefusingStore(s3), "day", before, DAY, now=NOW, actor="refused-run")
    audit = pub_catalogue.read(spark, AUDIT_TABLE).filter("actor = 'refused-run'").toPandas()
    assert len(audit) > 0 and audit.run_id.nunique() == 1
    run_id = audit.run_id.iloc[0]
    audited = set(audit.object_key)
    assert not any(k.startswith(f"indicators/period=day/{DAY}/") for k in audited)
    assert any(k.startswith(f"indicators/period=day/{before}/") for k in audited)
    assert any(k.startswith(f"share/dept=D01/period=day/{DAY}/") for k in audited)
    keys = [o["Key"] for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket)
            for o in page.get("Contents", []) if o["Key"].endswith("_manifest.json")]
    for key in keys:
        manifest = json.loads(_get(s3, bucket, key))
        if manifest["run_id"] == run_id:
            files = {f["key"] for entry in manifest["datasets"].values() for f in entry["files"]}
            assert files <= audited, key
    for row in audit.itertuples():
        assert hashlib.sha256(_get(s3, bucket, row.object_key)).hexdigest() == row.sha256


def test_extract_masks_again(spark):
    rows = [order(order_id="P1", main_dept_code="D01", accept_time=dt.datetime(2025, 3, 4, 9),
                  caller_phone_masked="138 1234 5678", caller_name_masked="李四"),
            order(order_id="P2", main_dept_code="D02", accept_time=dt.datetime(2025, 3, 4, 9)),
            order(order_id="P3", main_dept_code="D01", accept_time=dt.datetime(2025, 3, 4, 9), is_valid=False)]
    out = dept_extract(frame(spark, rows), "D01").collect()
    assert [(r.order_id, r.caller_phone_masked, r.caller_name_masked) for r in out] == [("P1", "138****5678", "李*")]
    assert "caller_phone_hash" not in out[0].asDict()


def test_pii_guard_and_bad_period(spark, pub_catalogue, lake, s3):
    assert pii_hits(pd.DataFrame([{"order_id": "X", "content_redacted": "请回电13912345678"}])) == [
        "order 'X' column content_redacted: phone"]
    assert pii_hits(pd.DataFrame([{"order_id": "X", "content_redacted": "身份证110101199003071234"}]))
    assert pii_hits(pd.DataFrame([{"order_id": "99010020250304000001", "content_redacted": "[手机号]"}])) == []
    # row by row, whatever the column order; non-text values are not searched
    rows = pd.DataFrame([{"order_id": "A", "title": "ok", "content_redacted": 13912345678},
                         {"order_id": "B", "title": "13812345678", "content_redacted": "110101199003071234"},
                         {"order_id": "C", "title": None, "content_redacted": "打13712345678"}])
    assert pii_hits(rows) == ["order 'B' column title: phone", "order 'B' column content_redacted: id_number",
                              "order 'C' column content_redacted: phone"]
    with pytest.raises(ValueError, match="unknown period"):
        publish(spark, pub_catalogue, s3, "quarter", DAY, DAY)
    assert issubclass(PublishPiiError, RuntimeError)


def test_publish_stops_when_the_pii_scanner_fires(spark, pub_catalogue, lake, s3, s3_settings):
    from jobs import privacy

    bucket = s3_settings.s3["publish_bucket"]
    rows = hand_built_orders()
    rows[0]["content_redacted"] = "请联系13912345678"     # a planted leak in silver
    delta.overwrite(frame(spark, rows), pub_catalogue, "dwd_work_order")
    try:
        before = s3.list_objects_v2(Bucket=bucket).get("KeyCount", 0)
        with pytest.raises(privacy.PiiLeakError):
            publish(spark, pub_catalogue, s3, "month", DAY, DAY, now=NOW, actor="tester")
        assert s3.list_objects_v2(Bucket=bucket).get("KeyCount", 0) == before   # nothing uploaded
        # Without the whole-table scan (its caller ran it), what is about to leave is still scanned.
        with pytest.raises((privacy.PiiLeakError, PublishPiiError)):
            publish(spark, pub_catalogue, s3, "day", DAY, DAY, now=NOW, actor="tester", table_scan=False)
        assert s3.list_objects_v2(Bucket=bucket).get("KeyCount", 0) == before
    finally:
        delta.overwrite(frame(spark, hand_built_orders()), pub_catalogue, "dwd_work_order")
        # the fixed table, scanned whole, is where the next (incremental) scans start
        privacy.run_scan(["dwd_work_order"], settings=pub_catalogue.settings, full=True)


WARNING_DDL = ("warn_date date, warning_id string, episode_id string, kind string, level string, series_key string, "
               "place_code string, category_code string, count double, baseline double, sigma double, z double, "
               "score double, evidence_json string, examples array<string>, status string")


def test_day_publish_carries_the_days_early_warnings(spark, pub_catalogue, lake, s3, s3_settings):
    """未诉先办 warnings of the day leave with the day's publish, under their own prefix and manifest."""
    bucket = s3_settings.s3["publish_bucket"]
    rows = [(DAY, "w1", "e1", "burst", "street_l3", "990101001|0101", "990101001", "0101", 9.0, 1.5, 1.2, 6.2,
             12.5, '{"count": 9}', ["[地址]停水两天了", "又停水"], "new"),
            (DAY, "w2", "e2", "new_issue", "city_l3", "0302", None, "0302", 5.0, 0.0, 1.0, 5.0, 6.0, "{}", [], "new"),
            (DAY + dt.timedelta(days=1), "w3", "e3", "burst", "city_l3", "0101", None, "0101", 7.0, 1.0, 1.0, 6.0,
             9.0, "{}", [], "new")]
    delta.overwrite(spark.createDataFrame(rows, WARNING_DDL), pub_catalogue, "gold_early_warning")
    try:
        summary = publish(spark, pub_catalogue, s3, "day", DAY, DAY, now=NOW, actor="tester")
        prefix = f"warnings/period=day/{DAY}/"
        manifest = json.loads(_get(s3, bucket, prefix + "_manifest.json"))
        assert manifest["data_grade"] == "internal" and manifest["run_id"] == summary["run_id"]
        entry = manifest["datasets"]["early_warnings"]
        assert entry["rows"] == 2 == summary["warnings"][str(DAY)]
        parquet = next(f for f in entry["files"] if f["format"] == "parquet")
        got = pd.read_parquet(io.BytesIO(_get(s3, bucket, parquet["key"])))
        assert list(got.warning_id) == ["w1", "w2"]            # the day's only, highest score first
        assert list(got.examples[0]) == ["[地址]停水两天了", "又停水"]
        body = json.loads(_get(s3, bucket, next(f["key"] for f in entry["files"] if f["format"] == "json")))
        assert body[0]["warn_date"] == str(DAY) and body[0]["kind"] == "burst"
        audited = pub_catalogue.read(spark, AUDIT_TABLE).filter(
            f"run_id = '{summary['run_id']}' AND dataset = 'early_warnings'").count()
        assert audited == 2                                    # parquet + json
    finally:
        delta.table(spark, pub_catalogue, "gold_early_warning").delete()


def test_json_encoding_of_an_extract():
    """Dates, city-time timestamps, missing values, lists, Chinese text and URLs, column by column."""
    import numpy as np

    pdf = pd.DataFrame({
        "period_start": [dt.date(2026, 1, 2), None],
        "accept_time": pd.to_datetime(["2026-01-02 03:04:05", None]),
        "finish_time": pd.to_datetime(["2026-01-02 03:04:05.250", "2026-01-03 00:00:00"], format="ISO8601"),
        "utc_time": pd.to_datetime(["2026-01-01 19:04:05"]).tz_localize("UTC").tolist() + [pd.NaT],
        "rate": [0.1, np.nan], "orders": pd.array([3, None], dtype="Int64"),
        "title": ["噪音扰民 https://x.example/a/b", "C:\\dir/file"], "examples": [np.array(["甲", "乙"]), None],
        "flag": [True, None],
    })
    body = json_bytes(pdf)
    assert b"\\/" not in body.replace(b"\\\\/", b"")          # slashes are not escaped...
    assert json.loads(body) == [                              # ...and everything decodes to the values
        {"period_start": "2026-01-02", "accept_time": "2026-01-02T03:04:05+08:00",
         "finish_time": "2026-01-02T03:04:05.250000+08:00", "utc_time": "2026-01-02T03:04:05+08:00",
         "rate": 0.1, "orders": 3, "title": "噪音扰民 https://x.example/a/b", "examples": ["甲", "乙"], "flag": True},
        {"period_start": None, "accept_time": None, "finish_time": "2026-01-03T00:00:00.000000+08:00",
         "utc_time": None, "rate": None, "orders": None, "title": "C:\\dir/file", "examples": None, "flag": None},
    ]
    assert "噪音扰民".encode() in body                         # UTF-8, not \\u escapes
    assert json.loads(json_bytes(pdf.iloc[0:0])) == []

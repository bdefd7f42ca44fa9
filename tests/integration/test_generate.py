"""The synthetic city on a small scale: formats, determinism, PII, seasonality, repeats, lifecycle,
incidents and dirty deliveries — checked against the files actually written to the landing zone."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import json
import re
from pathlib import Path

import pytest
from pyspark.sql import functions as F

from jobs.common.catalogue import Catalogue
from jobs.generate.plan import GenConfig
from jobs.generate.render import PHONE_HEADER

A = GenConfig(orders=6000, start=dt.date(2025, 1, 1), days=45, seed=11)
B = GenConfig(orders=1000, start=dt.date(2025, 7, 7), days=7, seed=11)
EVENT_CODES = {f"E{i:02d}" for i in range(1, 17)}
MOBILE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
ID18 = re.compile(r"(?<![\dX])\d{17}[\dX](?![\dX])")
PLATE = re.compile(r"[京沪苏皖浙鲁豫鄂粤赣][A-Z]·?[A-Z0-9]{5}")
BANK = re.compile(r"(?<!\d)62\d{14}(?!\d)")


def _cat(settings, root: Path) -> Catalogue:
    s = dataclasses.replace(settings, landing_uri=str(root / "landing"), ground_truth_uri=str(root / "ground_truth"))
    return Catalogue(s)


@pytest.fixture(scope="module")
def city(spark, settings, reference_loaded, tmp_path_factory):
    from jobs.generate.run import generate

    root1, root2 = tmp_path_factory.mktemp("city1"), tmp_path_factory.mktemp("city2")
    c1, c2 = _cat(settings, root1), _cat(settings, root2)
    stats = [generate(spark, c1, A), generate(spark, c1, B), generate(spark, c2, B)]
    gt = spark.read.parquet(c1.location("gt_orders")).toPandas()
    gt["dt"] = gt["dt"].astype(str)
    return {"root": root1, "root2": root2, "cat": c1, "stats": stats, "gt": gt}


def _lines(path: Path) -> list[bytes]:
    return path.read_bytes().split(b"\n")[:-1]


def _decode(raw: bytes) -> tuple[str, str]:
    """One line: UTF-8 if valid, else GBK (what ingest does per file; a dirty line may be neither)."""
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return raw.decode("gbk"), "gbk"


def _file_encoding(raw: bytes) -> str:
    bad = 0
    for line in raw.split(b"\n"):
        try:
            line.decode("utf-8")
        except UnicodeDecodeError:
            bad += 1
    return "gbk" if bad > 3 else "utf-8"


def _dirty(spark, city):
    return spark.read.parquet(city["cat"].location("gt_dirty_deliveries")).toPandas()


def _clean_records(spark, city, channel: str):
    """(file, line_no) -> parsed record for every clean line of a channel."""
    dirty = _dirty(spark, city)
    bad = {(f"dt={r.dt}", r.file, int(r.line_no)) for r in dirty.itertuples() if r.line_no == r.line_no}
    copies = dirty[dirty["kind"].isin(["duplicate_file", "renamed_redelivery"])]
    skip = {(f"dt={r.dt}", r.file) for r in copies.itertuples()}
    out = {}
    for f in sorted((city["root"] / "landing" / channel).glob("dt=*/*")):
        where = (f.parent.name, f.name)
        if where in skip:
            continue
        raw_lines = _lines(f)
        header = None
        for i, raw in enumerate(raw_lines, start=1):
            if (*where, i) in bad:
                continue
            text, _ = _decode(raw)
            if channel == "phone":
                row = next(csv.reader(io.StringIO(text)))
                if i == 1:
                    header = row
                else:
                    out[(*where, i)] = dict(zip(header, row, strict=False))
            else:
                out[(*where, i)] = json.loads(text)
    return out


def test_runs_report_what_they_wrote(city):
    a, b, b2 = city["stats"]
    assert a["orders"] == pytest.approx(6000, abs=5) and b["orders"] == pytest.approx(1000, abs=5)
    assert b == {**b2, **{k: b[k] for k in b if k.startswith("seconds") or k == "orders_per_second"}}
    assert a["dirty"] > 0 and a["incidents"] > 0


def test_phone_csv_format(spark, city):
    files = sorted((city["root"] / "landing" / "phone").glob("dt=*/hotline_*.csv"))
    assert len(files) >= 52
    encodings = set()
    for f in files:
        raw = f.read_bytes()
        enc = _file_encoding(raw)
        encodings.add(enc)
        header = next(csv.reader(io.StringIO(raw.split(b"\n")[0].decode(enc))))
        assert header[:17] == PHONE_HEADER and len(header) in (17, 18)
        assert re.fullmatch(r"hotline_\d{8}_\d{2}(\(1\))?\.csv", f.name)
    assert encodings == {"utf-8", "gbk"}  # some days are GBK, undeclared
    recs = _clean_records(spark, city, "phone")
    assert len(recs) > 4000
    for r in recs.values():
        assert re.fullmatch(r"RX-\d{8}-\d{6}", r["工单编号"])
        dt.datetime.strptime(r["受理时间"], "%Y-%m-%d %H:%M:%S")
        assert r["诉求类型"] in {"咨询", "求助", "投诉", "举报", "建议", "表扬", "其他"}
        assert r["紧急程度"] in {"特急", "紧急", "一般"} and r["处理方式"] in {f"0{i}" for i in range(1, 8)}
        assert re.fullmatch(r"\d{6}", r["区县编码"]) and 15 <= len(r["诉求内容"]) <= 400
        assert r["主办单位编码"] == "" or r["处理方式"] == "01"


def test_json_channels_formats(spark, city):
    online = _clean_records(spark, city, "online").values()
    assert {r["source"] for r in online} == {"web", "wechat", "app"}
    for r in online:
        assert {"msg_id", "source", "submit_time", "content", "location", "title"} <= r.keys()
        dt.datetime.fromisoformat(r["submit_time"])
        assert r["submit_time"].endswith("+08:00")
    assert any("user" not in r for r in online) and any("id_card" in r.get("user", {}) for r in online)
    grid = list(_clean_records(spark, city, "grid").values())
    assert grid
    for r in grid:
        dt.datetime.strptime(r["report_time"], "%Y/%m/%d %H:%M")
        assert "user" not in r and "caller" not in r and isinstance(r["lon"], float) and r["street_code"]
        assert re.fullmatch(r"GR-\d{9}-\d{8}-\d{5}", r["report_id"])
    opinion = list(_clean_records(spark, city, "opinion").values())
    assert opinion
    for r in opinion:
        assert isinstance(r["publish_time"], int) and r["url"].startswith("https://")
        assert not MOBILE.search(r["text"]) and "mobile" not in r
    events = list(_clean_records(spark, city, "event").values())
    assert {e["event_code"] for e in events} >= {"E02", "E03", "E04", "E11", "E12", "E15", "E05", "E06", "E07",
                                                   "E08", "E09", "E13", "E14", "E16"}
    assert {e["event_code"] for e in events} <= EVENT_CODES
    assert {e["source_system"] for e in events} == {"HOTLINE", "ONLINE", "GRID", "OPINION"}


def test_same_seed_same_bytes(city):
    root1, root2 = city["root"] / "landing", city["root2"] / "landing"
    files2 = sorted(p for p in root2.rglob("*") if p.is_file())
    assert len(files2) > 50
    for f in files2:
        assert (root1 / f.relative_to(root2)).read_bytes() == f.read_bytes(), f


def _id_ok(s: str) -> bool:
    w = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    return "10X98765432"[sum(int(c) * k for c, k in zip(s[:17], w, strict=True)) % 11] == s[17]


def _luhn(s: str) -> bool:
    total = 0
    for i, c in enumerate(reversed(s)):
        d = int(c) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


def test_pii_present_at_configured_rates(city):
    gt = city["gt"]
    callers = gt[gt["caller_mobile"].notna() & gt["special"].isna()]
    has_mobile = callers.apply(lambda r: r["caller_mobile"] in r["content"], axis=1)
    assert (has_mobile == callers["pii_phone"]).mean() > 0.99
    assert callers["pii_phone"].mean() == pytest.approx(A.pii_phone_in_text, rel=0.3)
    ids = [m for c in gt["content"] for m in ID18.findall(c)]
    assert len(ids) > 0.5 * A.pii_id_in_text * len(callers) and all(_id_ok(i) for i in ids)
    cards = [m for c in gt["content"] for m in BANK.findall(c)]
    assert cards and all(_luhn(c) for c in cards)
    assert gt["content"].str.contains(PLATE).mean() > 0.01
    assert gt["address"].str.contains(r"\d+栋\d+单元\d+室").mean() == pytest.approx(A.pii_address, rel=0.15)
    assert all(_id_ok(i) for i in gt["caller_id_card"].dropna().head(2000))
    assert gt["content_len"].between(15, 400).all()


def test_seasonality_and_weekly_cycle(city):
    gt = city["gt"]
    jan = gt[gt["dt"] < "2025-02-01"]
    jul = gt[gt["dt"] >= "2025-07-01"]
    heat_jan = (jan["l2_code"] == "0304").mean()
    heat_jul = (jul["l2_code"] == "0304").mean()
    assert heat_jan > 0.03 and heat_jan > 8 * heat_jul
    a = gt[(gt["dt"] >= "2025-01-06") & (gt["dt"] < "2025-01-25")]  # ordinary weeks before 春节 and its 调休
    per_day = a.groupby("dt").size()
    wd = per_day[[dt.date.fromisoformat(d).weekday() < 5 for d in per_day.index]].mean()
    we = per_day[[dt.date.fromisoformat(d).weekday() >= 5 for d in per_day.index]].mean()
    assert wd > 1.25 * we
    festival = gt[(gt["dt"] >= "2025-01-28") & (gt["dt"] <= "2025-02-04")].groupby("dt").size().mean()
    assert festival < 0.7 * wd


def test_repeat_caller_rate_in_band(city):
    gt = city["gt"]
    a = gt[(gt["dt"] <= "2025-02-14") & gt["caller_mobile"].notna()].copy()
    a = a.sort_values("accept_time")
    last = {}
    repeat = []
    for r in a.itertuples():
        key = (r.caller_mobile, r.l3_code)
        prev = last.get(key)
        repeat.append(prev is not None and (r.accept_time - prev) <= dt.timedelta(days=30))
        last[key] = r.accept_time
    a["repeat"] = repeat
    window = a[a["dt"] >= "2025-01-31"]  # a full 30-day look-back inside the generated history
    assert 0.10 <= window["repeat"].mean() <= 0.20
    assert (window["caller_kind"] == "malicious").sum() >= 1 or (a["caller_kind"] == "malicious").sum() >= 1


def test_lifecycle_consistent_for_clean_records(spark, city, catalogue):
    from jobs.common.worktime import add_deadline

    events = [e for e in _clean_records(spark, city, "event").values()]
    # orders with a dirty event line miss that event: their remaining events are not checked for order
    dirty_ev = _dirty(spark, city)
    incomplete = {rid.rsplit("-", 1)[0].removeprefix("EV-") for rid in
                  dirty_ev[dirty_ev["channel"] == "event"]["record_id"].dropna()}
    by_order: dict[str, list] = {}
    for e in events:
        if e["source_order_id"] not in incomplete:
            by_order.setdefault(e["source_order_id"], []).append(e)
    gt = city["gt"].set_index("source_order_id")
    checked = 0
    for oid, evs in by_order.items():
        if oid not in gt.index:
            continue
        o = gt.loc[oid]
        t = {}
        for e in evs:
            t.setdefault(e["event_code"], []).append(dt.datetime.strptime(e["event_time"], "%Y-%m-%d %H:%M:%S"))
        acc = o["accept_time"].to_pydatetime()
        assert min(min(v) for v in t.values()) >= acc, oid
        for later, earlier in (("E11", "E02"), ("E03", "E02"), ("E04", "E03"), ("E12", "E11"), ("E15", "E11"),
                               ("E08", "E07"), ("E06", "E05"),
                               # a returned order is first contacted by the department it is reassigned to
                               ("E04", "E06")):
            if later in t and earlier in t:
                assert min(t[later]) >= min(t[earlier]), (oid, later, earlier)
        if "E08" in t:
            assert [e for e in evs if e["event_code"] == "E08"][0]["extension_days"] in (5, 10)
        checked += 1
    assert checked > 3000
    # due times follow the SLA rules and the working-day calendar
    gto = spark.read.parquet(city["cat"].location("gt_orders")).filter(F.col("handling_path_code") == "01")
    sla = catalogue.read(spark, "ref_sla_rule").select(
        "sla_rule_id", "deadline_value", "deadline_unit", F.col("appeal_type_code").alias("rule_appeal"),
        F.col("urgency_code").alias("rule_urgency"), "effective_from", "effective_to")
    cal = catalogue.read(spark, "ref_calendar")
    expect = gto.join(sla, "sla_rule_id").select("source_order_id", "accept_time", "original_due_time",
                                                 "appeal_type_code", "urgency_code", "deadline_value",
                                                 "deadline_unit", "effective_from", "effective_to", "rule_appeal",
                                                 "rule_urgency")
    rows = add_deadline(expect, cal, "accept_time", "deadline_value", "deadline_unit", "due").collect()
    assert len(rows) > 1000
    for r in rows:
        assert r.due == r.original_due_time
        assert r.effective_from <= r.accept_time.date() <= r.effective_to
        assert r.rule_urgency == r.urgency_code
        assert r.rule_appeal == (r.appeal_type_code if r.urgency_code == "3" else "*")
    bad = gto.filter(F.col("t_finish").isNull() | (F.col("t_finish") < F.unix_timestamp("accept_time")))
    assert bad.count() == 0


def test_planted_incidents_match_their_orders(spark, city):
    inc = spark.read.parquet(city["cat"].location("gt_incidents")).toPandas()
    assert {"water_main_break", "policy_change"} <= set(inc["type"]) or len(set(inc["type"])) >= 2
    gt = city["gt"].set_index("source_order_id")
    landed = set()
    for ch, key in (("phone", "工单编号"), ("online", "msg_id"), ("grid", "report_id"), ("opinion", "post_id")):
        landed |= {r[key] for r in _clean_records(spark, city, ch).values()}
    dirty_ids = set(_dirty(spark, city)["record_id"].dropna())
    for r in inc.itertuples():
        assert len(r.order_ids) > 0
        for oid in r.order_ids:
            assert oid in landed or oid in dirty_ids, (r.incident_id, oid)
            o = gt.loc[oid]
            assert o["l3_code"] == r.category_l3_code and o["incident_id"] == r.incident_id
            if r.street_code:
                assert o["street_code"] == r.street_code
            if r.community_code:
                assert o["community_code"] == r.community_code
            assert o["accept_time"] >= r.start_time
            if r.end_time is not None and r.end_time == r.end_time:
                assert o["accept_time"] <= r.end_time
    storms = inc[inc["type"] == "duplicate_storm"]
    for r in storms.itertuples():
        paths = gt.loc[list(r.order_ids), "handling_path_code"]
        assert (paths == "07").sum() == len(r.order_ids) - 1


def test_every_dirty_delivery_exists(spark, city):
    dirty = _dirty(spark, city)
    assert set(dirty["kind"]) >= {"truncated_line", "bad_encoding", "missing_field", "bad_time", "unknown_code",
                                  "duplicate_file", "renamed_redelivery", "extra_column"}
    land = city["root"] / "landing"
    for r in dirty.itertuples():
        f = land / r.channel / f"dt={r.dt}" / r.file
        assert f.exists(), r
        if r.kind in ("duplicate_file", "renamed_redelivery"):
            orig_name = r.file.replace("(1)", "")
            candidates = [p for p in (land / r.channel).glob(f"dt=*/{orig_name}") if p != f]
            assert any(p.read_bytes() == f.read_bytes() for p in candidates), r
            continue
        if r.kind == "extra_column":
            body = f.read_bytes()
            head = body.split(b"\n")[0]
            assert "备注".encode() in head or "备注".encode("gbk") in head or b"ext_remark" in body
            continue
        raw = _lines(f)[int(r.line_no) - 1]
        assert r.record_id.encode() in raw, r
        if r.kind == "bad_encoding":
            with pytest.raises(UnicodeDecodeError):
                raw.decode("utf-8")
            continue
        text, _ = _decode(raw)
        if r.channel == "phone":
            fields = next(csv.reader(io.StringIO(text)))
            if r.kind == "truncated_line":
                assert len(fields) < 17
            elif r.kind == "missing_field":
                assert fields[9] == ""
            elif r.kind == "bad_time":
                with pytest.raises(ValueError):
                    dt.datetime.strptime(fields[1], "%Y-%m-%d %H:%M:%S")
            elif r.kind == "unknown_code":
                assert fields[7] == "989898"
        elif r.kind == "truncated_line":
            with pytest.raises(json.JSONDecodeError):
                json.loads(text)
        else:
            json.loads(text)

"""The landing decoder (pure Python, no Spark): fields out as columns in contract order, rejects with reasons."""

from __future__ import annotations

import dataclasses
import json

import pytest

from jobs.ingest.channels import EVENT, ONLINE, PHONE
from jobs.ingest.decode import decode_file, decoded_columns, decoded_schema


def _rows(ch, content: bytes) -> list[dict]:
    return [dict(zip(decoded_columns(ch), r, strict=True)) for r in decode_file(ch, "f", "h", content)]


def test_jsonl_fields_are_columns_nested_paths_flattened_and_extras_rescued():
    line = {"msg_id": "WB1", "source": "web", "submit_time": "2025-03-03T08:00:00+08:00", "content": "路灯坏了",
            "user": {"name": "张伟", "mobile": "13812345678"}, "location": {"district_code": "990101"},
            "anonymous": False, "client_ip": "10.0.0.8"}
    (row,) = _rows(ONLINE, (json.dumps(line, ensure_ascii=False) + "\n").encode())
    assert (row["error"], row["line_no"], row["encoding"]) == (None, 1, "utf-8")
    assert (row["msg_id"], row["user_name"], row["user_mobile"], row["district_code"]) == (
        "WB1", "张伟", "13812345678", "990101")
    assert row["anonymous"] == "false" and row["street_code"] is None  # as received, strings; absent → null
    assert json.loads(row["rescued"]) == {"client_ip": "10.0.0.8"}


def test_the_event_feeds_own_reason_code_is_a_field():
    line = {"event_id": "EV-1", "source_system": "HOTLINE", "source_order_id": "RX-1", "event_code": "E05",
            "event_time": "2025-03-03 11:00:00", "reason_code": "R01"}
    (row,) = _rows(EVENT, (json.dumps(line) + "\n").encode())
    assert row["reason_code"] == "R01" and row["error"] is None


def test_a_broken_line_is_rejected_with_its_reason_and_no_fields():
    good = json.dumps({"event_id": "EV-1", "source_system": "HOTLINE"})
    rows = _rows(EVENT, (good + "\n" + good[:20] + "\n\n[1, 2]\n").encode())
    assert [(r["line_no"], r["error"]) for r in rows] == [(1, None), (2, "truncated_line"), (4, "truncated_line")]
    assert all(r[c] is None for r in rows[1:] for c in EVENT.columns)
    assert rows[1]["raw_line"] == good[:20] and "not a complete JSON object" in rows[1]["error_detail"]


def test_csv_rows_by_header_with_gbk_multiline_and_extra_columns():
    header = list(PHONE.fields) + ["备注"]
    values = ["RX-1", "2025-03-03 08:00:00", "13812345678", "张伟", "投诉", "一般", "01", "030101", "停水",
              '"第一行\n第二行"', "990101", "990101001", "", "", "否", "H01", "D08", "多余"]
    body = ",".join(header) + "\n" + ",".join(values) + "\n" + ",".join(values[:5]) + "\n"
    rows = _rows(PHONE, body.encode("gbk"))
    assert rows[0]["encoding"] == "gbk" and rows[0]["error"] is None
    assert rows[0]["content"] == "第一行\n第二行" and rows[0]["caller_name"] == "张伟"
    assert rows[0]["community_code"] is None  # an empty CSV field is null
    assert json.loads(rows[0]["rescued"]) == {"备注": "多余"}
    assert (rows[1]["line_no"], rows[1]["error"]) == (4, "truncated_line")


def test_a_contract_column_named_like_a_decoder_column_is_refused():
    clash = dataclasses.replace(EVENT, fields={**EVENT.fields, "file": "raw_line"})
    with pytest.raises(ValueError, match="raw_line"):
        decoded_columns(clash)
    assert decoded_schema(EVENT).startswith("`source_file` string") and "`line_no` int" in decoded_schema(EVENT)


def test_a_quoted_field_may_span_any_number_of_lines():
    header = ",".join(PHONE.fields)
    values = ["RX-1", "2025-03-03 08:00:00", "13812345678", "张伟", "投诉", "一般", "01", "030101", "停水",
              '"' + "\n".join(f"第{k}行" for k in range(25)) + '"', "990101", "990101001", "", "", "否", "H01", "D08"]
    body = header + "\n" + ",".join(values) + "\n" + ",".join(values[:9] + ["正常", *values[10:]]) + "\n"
    rows = _rows(PHONE, body.encode())
    assert [(r["line_no"], r["error"]) for r in rows] == [(2, None), (27, None)]
    assert rows[0]["content"].count("\n") == 24
    # one record over three lines with a field too many is one malformed row, not three truncated ones
    bad = header + "\n" + ",".join([*values[:9], '"a\nb\nc"', *values[10:], "多"]) + "\n"
    assert [(r["line_no"], r["error"]) for r in _rows(PHONE, bad.encode())] == [(2, "malformed_row")]


def test_json_the_decoder_cannot_keep_is_quarantined_not_fatal():
    import pyarrow as pa

    base = {"msg_id": "M1", "submit_time": "2025-03-03T08:00:00+08:00", "content": "x"}
    deep = '{"msg_id": "M2", "content": "x", "x": ' + "[" * 5000 + "]" * 5000 + "}"
    lines = [json.dumps({**base, "title": "\ud800"}), deep, '{"msg_id": "A", "msg_id": "B", "content": "x"}']
    rows = _rows(ONLINE, ("\n".join(lines) + "\n").encode())
    assert [(r["line_no"], r["error"]) for r in rows] == [(1, "bad_encoding"), (2, "truncated_line"),
                                                          (3, "malformed_row")]
    assert "appears twice" in rows[2]["error_detail"]
    import pandas as pd
    pa.Table.from_pandas(pd.DataFrame(rows))  # what mapInPandas hands to Arrow: writable


def test_a_bom_a_doubled_header_and_a_non_object_parent_lose_nothing():
    line = json.dumps({"msg_id": "M1", "submit_time": "2025-03-03T08:00:00+08:00", "content": "x", "user": "匿名"},
                      ensure_ascii=False)
    (row,) = _rows(ONLINE, ("\ufeff" + line + "\n").encode())
    assert row["error"] is None and row["msg_id"] == "M1" and json.loads(row["rescued"]) == {"user": "匿名"}
    header = ",".join([*PHONE.fields, "标题"])
    values = ["RX-1", "2025-03-03 08:00:00", "13812345678", "张伟", "投诉", "一般", "01", "030101", "停水", "内容",
              "990101", "990101001", "", "", "否", "H01", "D08", "另一个标题"]
    (row,) = _rows(PHONE, (header + "\n" + ",".join(values) + "\n").encode())
    assert row["title"] == "停水" and json.loads(row["rescued"]) == {"标题#2": "另一个标题"}

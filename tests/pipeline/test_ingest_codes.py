"""Ingest's code checks on each channel's place codes and the event feed's units and merge targets."""

from __future__ import annotations

import pytest

from jobs.ingest import channels as C
from jobs.ingest.transform import REJECT_CODE, REJECT_DETAIL, validate

CLEAN = {
    "phone": {"source_order_id": "RX-20250303-000001", "accept_time": "2025-03-03 08:15:32", "content": "停水",
              "appeal_type_name": "投诉", "urgency_name": "一般", "handling_path_code": "01",
              "category_code": "030101", "district_code": "990104", "street_code": "990104003",
              "community_code": "990104003002", "confidential": "否", "dept_code": "D08"},
    "online": {"msg_id": "WX2025030300001", "source": "wechat", "submit_time": "2025-03-03T08:20:00+08:00",
               "content": "停水", "appeal_type_code": "03", "category_code": "030101", "district_code": "990104",
               "street_code": "990104003", "community_code": "990104003002", "dept_code": "D08",
               "handling_path_code": "01", "urgency_code": "3"},
    "grid": {"report_id": "GR-990104003-20250303-0001", "report_time": "2025/03/03 08:40", "content": "占道经营",
             "category_code": "020301", "street_code": "990104003", "community_code": "990104003002",
             "dept_code": "D07", "urgency_code": "3"},
    "opinion": {"post_id": "WB-8837462", "publish_time": "1740962700000", "content": "又停水了",
                "category_code": "030101", "district_code": "990104", "street_code": "990104003"},
    "event": {"event_id": "EV-1", "source_system": "HOTLINE", "source_order_id": "RX-20250303-000001",
              "event_code": "E02", "event_time": "2025-03-03 08:30:00", "from_unit": "CENTER", "to_unit": "D08"},
}

CASES = [
    # (channel, changed fields, expected reason, expected detail)
    ("phone", {}, None, None),
    ("phone", {"street_code": "990104999"}, "unknown_code", "code not in its list: street_code=990104999"),
    ("phone", {"community_code": "990104003999"}, "unknown_code",
     "code not in its list: community_code=990104003999"),
    ("phone", {"street_code": "", "community_code": ""}, None, None),  # optional: empty is not unknown
    ("online", {}, None, None),
    ("online", {"street_code": "99010400"}, "unknown_code", "code not in its list: street_code=99010400"),
    ("online", {"community_code": "990104003999"}, "unknown_code",
     "code not in its list: community_code=990104003999"),
    ("grid", {}, None, None),
    ("grid", {"community_code": "990104003999"}, "unknown_code",
     "code not in its list: community_code=990104003999"),
    ("opinion", {}, None, None),
    ("opinion", {"street_code": None}, None, None),
    ("opinion", {"street_code": "990104999"}, "unknown_code", "code not in its list: street_code=990104999"),
    ("opinion", {"publish_time": "1740962700"}, None, None),  # epoch seconds
    ("opinion", {"publish_time": "174096270000"}, "bad_time", "unparsable time in publish_time"),
    ("event", {}, None, None),
    ("event", {"to_unit": "119", "event_code": "E02"}, None, None),  # transferred to the fire line
    ("event", {"from_unit": "S00", "to_unit": "CENTER", "event_code": "E05"}, None, None),
    ("event", {"to_unit": "D99"}, "unknown_code", "code not in its list: to_unit=D99"),
    ("event", {"from_unit": "CENTRE"}, "unknown_code", "code not in its list: from_unit=CENTRE"),
    ("event", {"event_code": "E14", "merged_into_system": "HOTLINE", "merged_into_id": "RX-20250303-000002"},
     None, None),
    ("event", {"event_code": "E14", "merged_into_system": "WEIBO", "merged_into_id": "RX-20250303-000002"},
     "unknown_code", "code not in its list: merged_into_system=WEIBO"),
]


@pytest.fixture(scope="module")
def domains(spark, catalogue, reference_loaded):
    from jobs.ingest import _ref_domains

    return _ref_domains(spark, catalogue)


def test_place_codes_units_and_merge_targets_are_checked_against_their_lists(spark, domains):
    for name in CLEAN:
        ch = C.get(name)
        cases = [(fields, reason, detail) for channel, fields, reason, detail in CASES if channel == name]
        rows = [tuple({**CLEAN[name], **fields}.get(c) for c in ch.columns) + (str(i), None, None)
                for i, (fields, _, _) in enumerate(cases)]
        schema = ", ".join(f"`{c}` string" for c in ch.columns) + ", case_no string, error string, error_detail string"
        got = {r.case_no: (r[REJECT_CODE], r[REJECT_DETAIL])
               for r in validate(spark.createDataFrame(rows, schema), ch, domains).collect()}
        assert got == {str(i): (reason, detail) for i, (_, reason, detail) in enumerate(cases)}, name

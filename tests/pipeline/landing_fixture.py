"""A tiny landing zone written exactly to docs/landing-formats.md, with known dirty rows.

Two delivery days (Mon 2025-03-03, Tue 2025-03-04). ``EXPECTED_QUARANTINE`` lists every dirty row
as (channel, file name, line number) → reason code; ``EXPECTED_SKIPS`` the re-delivered files.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

D1, D2 = "2025-03-03", "2025-03-04"
PHONE_HEADER = ["工单编号", "受理时间", "来电号码", "来电人", "诉求类型", "紧急程度", "处理方式", "分类编码", "标题",
                "诉求内容", "区县编码", "街道编码", "社区编码", "详细地址", "是否保密", "话务员工号", "主办单位编码"]


def phone_row(oid, t, phone, name, content, cat="030101", appeal="投诉", urg="一般", path="01", dept="D08",
              district="990104", street="990104003", community="990104003002", address="南湖区江德隆花园3栋2单元502室"):
    return [oid, t, phone, name, appeal, urg, path, cat, "小区停水", content, district, street, community, address,
            "否", "H0231", dept]


def _csv_bytes(rows: list[list[str]], header=PHONE_HEADER, encoding="utf-8") -> bytes:
    buf = io.StringIO(newline="")
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    return buf.getvalue().encode(encoding)


PHONE_D1 = [
    phone_row("RX-20250303-000001", "2025-03-03 08:15:32", "13812345678", "张伟",
              "我叫张伟，电话13812345678，家里停水三天了"),
    phone_row("RX-20250303-000002", "2025-03-03 09:00:00", "13900001111", "李娜",
              "楼下饭店油烟很大，\n晚上十点还在营业，身份证号11010519491231002X", cat="050202", dept="D20"),
    phone_row("RX-20250303-000003", "2025-03-03 10:30:00", "", "", "咨询停水什么时候恢复", appeal="咨询", path="02",
              dept=""),
    phone_row("RX-20250303-000004", "2025-03-03 11:00:00", "13812345678", "张伟", "停水问题还没解决"),
    phone_row("RX-20250303-000005", "2025-03-03 11:30:00", "13700000000", "王强", ""),               # missing_field
    phone_row("RX-20250303-000006", "2025-03-03 25:61:00", "13700000001", "赵六", "时间坏了"),       # bad_time
    phone_row("RX-20250303-000007", "2025-03-03 12:00:00", "13700000002", "钱七", "码坏了", cat="888888"),  # unknown
    phone_row("RX-20250303-000010", "2025-03-03 12:10:00", "13700000004", "吴九", "投诉燃气", appeal="吵架"),  # unknown
]
# physical lines: 1 header, 2 row1, 3-4 row2 (quoted newline), 5 row3, 6 row4, 7 row5, 8 row6, 9 row7, 10 row8,
# 11 truncated
PHONE_TRUNCATED = '"RX-20250303-000008","2025-03-03 12:30:00","1370000'
PHONE_D2_GBK = [
    phone_row("RX-20250304-000001", "2025-03-04 08:00:00", "13600000000", "孙八", "路灯坏了", cat="040103",
              dept="D16"),
]

ONLINE_D1 = [
    {"msg_id": "WX2025030300001", "source": "wechat", "submit_time": "2025-03-03T08:20:00+08:00",
     "user": {"name": "周明", "mobile": "13512345678", "id_card": "110105194912310021"}, "title": "停水",
     "content": "我是周明，小区停水，电话13512345678", "type": "03", "category": "030101",
     "location": {"district_code": "990104", "street_code": "990104003", "community_code": "990104003002",
                  "address": "南湖区江德隆花园5栋"},
     "anonymous": False, "dept": "D08", "path": "01", "urgency": "3"},
    {"msg_id": "WB2025030300002", "source": "web", "submit_time": "2025-03-03T09:10:00+08:00",
     "title": "噪声", "content": "工地夜间施工噪声", "type": "03", "category": "050101",
     "location": {"district_code": "990104", "street_code": "990104001", "community_code": None, "address": None},
     "anonymous": True, "dept": "D20", "path": "01", "urgency": "3", "client_ip": "10.0.0.8"},   # extra field
]
ONLINE_TRUNCATED = '{"msg_id": "AP2025030300003", "source": "app", "submit_time": "2025-03-03T10:0'
ONLINE_BAD_ENCODING = b'{"msg_id": "AP2025030300004", "source": "app", "content": "\xff\xfe\xfd"}'

GRID_D1 = [{"report_id": "GR-990104003-20250303-0001", "grid_code": "990104003002-03", "inspector": "G0412",
            "report_time": "2025/03/03 08:40", "event_type": "020301", "description": "占道经营，摊主电话13800000000",
            "lon": 118.81551, "lat": 32.09592, "street_code": "990104003", "community_code": "990104003002",
            "photos": 2, "dept": "D07", "urgency": "3"}]
OPINION_D1 = [{"post_id": "WB-8837462", "platform": "微博", "url": "https://weibo.example/8837462",
               "publish_time": 1740962700000, "title": "停水", "text": "南湖区又停水了", "author_nick": "江岸小王",
               "likes": 12, "reposts": 3, "district_code": "990104", "street_code": None, "category": "030101",
               "dept": "D08", "urgency": "3"}]  # 1740962700000 = 2025-03-03 08:45:00 +08:00


def ev(eid, oid, code, t, system="HOTLINE", **kw):
    base = {"event_id": eid, "source_system": system, "source_order_id": oid, "event_code": code,
            "event_time": t, "from_unit": "CENTER", "to_unit": None, "operator": "H0231", "reason_code": None,
            "remark": None, "result_code": None, "solved_code": None, "satisfaction_code": None,
            "revisit_method": None, "revisit_valid": None, "extension_days": None, "supervise_level": None,
            "merged_into_system": None, "merged_into_id": None}
    base.update(kw)
    return base


O1 = "RX-20250303-000001"
EVENTS_ALL = [
    ev("EV-1", O1, "E02", "2025-03-03 08:30:00", to_unit="D08"),
    ev("EV-2", O1, "E03", "2025-03-03 09:00:00", from_unit="D08"),
    ev("EV-3", O1, "E04", "2025-03-03 10:00:00", from_unit="D08", remark="已联系张伟，电话13812345678"),
    ev("EV-4", O1, "E07", "2025-03-04 09:00:00", from_unit="D08"),
    ev("EV-5", O1, "E08", "2025-03-04 10:00:00", extension_days="3"),
    ev("EV-6", O1, "E09", "2025-03-04 11:00:00"),
    ev("EV-7", O1, "E11", "2025-03-04 15:00:00", from_unit="D08", result_code="01"),
    ev("EV-8", O1, "E12", "2025-03-04 18:00:00", solved_code="1", satisfaction_code="4", revisit_method="1",
       revisit_valid="true"),
    ev("EV-9", "RX-20250303-000002", "E02", "2025-03-03 09:30:00", to_unit="D22"),
    ev("EV-10", "RX-20250303-000002", "E05", "2025-03-03 11:00:00", from_unit="D22", reason_code="R1"),
    ev("EV-11", "RX-20250303-000002", "E06", "2025-03-03 12:00:00", to_unit="D20"),
    ev("EV-12", "WX2025030300001", "E14", "2025-03-03 08:25:00", system="ONLINE",
       merged_into_system="HOTLINE", merged_into_id=O1),
]
EVENTS_D1 = [EVENTS_ALL[i] for i in (2, 0, 8, 1, 9, 11)]      # out of time order
EVENTS_D2 = [EVENTS_ALL[i] for i in (7, 4, 3, 10, 6, 5)]      # late (EV-11 is a day-1 event) and shuffled
EVENT_BAD_CODE = ev("EV-99", O1, "E77", "2025-03-04 12:00:00")

EXPECTED_QUARANTINE = {
    ("phone", "hotline_20250303_01.csv", 7): "missing_field",
    ("phone", "hotline_20250303_01.csv", 8): "bad_time",
    ("phone", "hotline_20250303_01.csv", 9): "unknown_code",
    ("phone", "hotline_20250303_01.csv", 10): "unknown_code",
    ("phone", "hotline_20250303_01.csv", 11): "truncated_line",
    ("online", "forms_wechat_20250303_01.jsonl", 3): "truncated_line",
    ("online", "forms_wechat_20250303_01.jsonl", 4): "bad_encoding",
    ("event", "events_20250304_01.jsonl", 7): "unknown_code",
}
EXPECTED_SKIPS = {
    ("phone", "dt=2025-03-04/hotline_20250303_01.csv"): "skipped_duplicate_file",
    ("online", "dt=2025-03-04/forms_wechat_20250304_07.jsonl"): "skipped_renamed_redelivery",
}
EXPECTED_ACCEPTED = {"phone": 5, "online": 2, "grid": 1, "opinion": 1, "event": 12}


def _jsonl(objs, extra_lines: list[bytes] = ()) -> bytes:
    body = b"".join(json.dumps(o, ensure_ascii=False).encode("utf-8") + b"\n" for o in objs)
    return body + b"".join(x + b"\n" for x in extra_lines)


def write_landing(root: Path) -> None:
    """Write the fixture deliveries under ``root`` (the landing root of the profile)."""
    def put(channel: str, day: str, name: str, data: bytes) -> None:
        folder = root / channel / f"dt={day}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(data)

    phone_d1 = _csv_bytes(PHONE_D1) + PHONE_TRUNCATED.encode("utf-8") + b"\n"
    put("phone", D1, "hotline_20250303_01.csv", phone_d1)
    put("phone", D2, "hotline_20250304_01.csv", _csv_bytes(PHONE_D2_GBK, encoding="gbk"))
    put("phone", D2, "hotline_20250303_01.csv", phone_d1)                       # duplicate_file
    online = _jsonl(ONLINE_D1, [ONLINE_TRUNCATED.encode("utf-8"), ONLINE_BAD_ENCODING])
    put("online", D1, "forms_wechat_20250303_01.jsonl", online)
    put("online", D2, "forms_wechat_20250304_07.jsonl", online)                 # renamed_redelivery
    put("grid", D1, "grid_20250303_01.jsonl", _jsonl(GRID_D1))
    put("opinion", D1, "opinion_20250303_01.jsonl", _jsonl(OPINION_D1))
    put("event", D1, "events_20250303_01.jsonl", _jsonl(EVENTS_D1))
    put("event", D2, "events_20250304_01.jsonl", _jsonl(EVENTS_D2 + [EVENT_BAD_CODE]))

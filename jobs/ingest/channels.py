"""Per-channel landing conventions (docs/landing-formats.md) as data: fields, required, times, codes.

Bronze keeps every value *as received* (strings) under English snake-case names; the free-text
fields (title, demand text, address) go only to the restricted ``bronze_raw_text`` table.
"""

from __future__ import annotations

from dataclasses import dataclass

#: channel → source system code (CL-SRC) as used by the event feed.
SOURCE_SYSTEM = {"phone": "HOTLINE", "online": "ONLINE", "grid": "GRID", "opinion": "OPINION"}


@dataclass(frozen=True)
class Channel:
    """How one channel's deliveries look and which checks a row must pass."""

    name: str
    fmt: str  # "csv" or "jsonl"
    #: source field (CSV header, or dotted JSON path) → bronze column
    fields: dict[str, str]
    required: tuple[str, ...]
    #: bronze column holding the record's time → Spark datetime pattern ("epoch_ms" for epoch millis, or seconds when 10 digits)
    time_field: str
    time_format: str
    #: bronze column → code domain checked at ingest (see jobs.ingest.transform.code_domains)
    codes: dict[str, str]
    #: bronze column holding the record id
    id_field: str
    #: free-text columns moved to bronze_raw_text
    text_fields: tuple[str, ...] = ()
    #: extra time columns that must parse when present
    optional_times: tuple[str, ...] = ()

    @property
    def landing(self) -> str:
        return f"landing_{self.name}"

    @property
    def bronze(self) -> str:
        return f"bronze_{self.name}"

    @property
    def columns(self) -> list[str]:
        return list(self.fields.values())

    @property
    def bronze_columns(self) -> list[str]:
        return [c for c in self.columns if c not in self.text_fields]


PHONE = Channel(
    name="phone",
    fmt="csv",
    fields={
        "工单编号": "source_order_id", "受理时间": "accept_time", "来电号码": "caller_phone",
        "来电人": "caller_name", "诉求类型": "appeal_type_name", "紧急程度": "urgency_name",
        "处理方式": "handling_path_code", "分类编码": "category_code", "标题": "title",
        "诉求内容": "content", "区县编码": "district_code", "街道编码": "street_code",
        "社区编码": "community_code", "详细地址": "address", "是否保密": "confidential",
        "话务员工号": "agent_id", "主办单位编码": "dept_code",
    },
    required=("source_order_id", "accept_time", "content", "district_code"),
    time_field="accept_time",
    time_format="yyyy-MM-dd HH:mm:ss",
    codes={"appeal_type_name": "appeal_name", "urgency_name": "urgency_name", "handling_path_code": "CL-PATH",
           "category_code": "category", "district_code": "district", "street_code": "street",
           "community_code": "community", "dept_code": "department", "confidential": "yes_no"},
    id_field="source_order_id",
    text_fields=("title", "content", "address"),
)

ONLINE = Channel(
    name="online",
    fmt="jsonl",
    fields={
        "msg_id": "msg_id", "source": "source", "submit_time": "submit_time", "user.name": "user_name",
        "user.mobile": "user_mobile", "user.id_card": "user_id_card", "title": "title", "content": "content",
        "type": "appeal_type_code", "category": "category_code", "location.district_code": "district_code",
        "location.street_code": "street_code", "location.community_code": "community_code",
        "location.address": "address", "anonymous": "anonymous", "dept": "dept_code", "path": "handling_path_code",
        "urgency": "urgency_code",
    },
    required=("msg_id", "submit_time", "content"),
    time_field="submit_time",
    time_format="iso_offset",
    codes={"source": "online_source", "appeal_type_code": "CL-APPEAL", "category_code": "category",
           "district_code": "district", "street_code": "street", "community_code": "community",
           "dept_code": "department", "handling_path_code": "CL-PATH", "urgency_code": "CL-URG"},
    id_field="msg_id",
    text_fields=("title", "content", "address"),
)

GRID = Channel(
    name="grid",
    fmt="jsonl",
    fields={
        "report_id": "report_id", "grid_code": "grid_code", "inspector": "inspector", "report_time": "report_time",
        "event_type": "category_code", "description": "content", "lon": "lon", "lat": "lat",
        "street_code": "street_code", "community_code": "community_code", "photos": "photos", "dept": "dept_code",
        "urgency": "urgency_code",
    },
    required=("report_id", "report_time", "category_code", "street_code"),
    time_field="report_time",
    time_format="yyyy/MM/dd HH:mm",
    codes={"category_code": "category", "street_code": "street", "community_code": "community",
           "dept_code": "department", "urgency_code": "CL-URG"},
    id_field="report_id",
    text_fields=("content",),
)

OPINION = Channel(
    name="opinion",
    fmt="jsonl",
    fields={
        "post_id": "post_id", "platform": "platform", "url": "url", "publish_time": "publish_time",
        "title": "title", "text": "content", "author_nick": "author_nick", "likes": "likes", "reposts": "reposts",
        "district_code": "district_code", "street_code": "street_code", "category": "category_code",
        "dept": "dept_code", "urgency": "urgency_code",
    },
    required=("post_id", "publish_time", "content"),
    time_field="publish_time",
    time_format="epoch_ms",
    codes={"category_code": "category", "district_code": "district", "street_code": "street",
           "dept_code": "department", "urgency_code": "CL-URG"},
    id_field="post_id",
    text_fields=("title", "content"),
)

EVENT = Channel(
    name="event",
    fmt="jsonl",
    fields={k: k for k in (
        "event_id", "source_system", "source_order_id", "event_code", "event_time", "from_unit", "to_unit",
        "operator", "reason_code", "remark", "result_code", "solved_code", "satisfaction_code", "revisit_method",
        "revisit_valid", "extension_days", "supervise_level", "merged_into_system", "merged_into_id")},
    required=("event_id", "source_system", "source_order_id", "event_code", "event_time"),
    time_field="event_time",
    time_format="yyyy-MM-dd HH:mm:ss",
    codes={"source_system": "CL-SRC", "event_code": "CL-EVENT", "result_code": "CL-RESULT",
           "solved_code": "CL-SOLVED", "satisfaction_code": "CL-SATIS", "revisit_method": "CL-REVISIT",
           "from_unit": "unit", "to_unit": "unit", "merged_into_system": "CL-SRC"},
    id_field="event_id",
)

CHANNELS: dict[str, Channel] = {c.name: c for c in (PHONE, ONLINE, GRID, OPINION, EVENT)}
ORDER_CHANNELS = ("phone", "online", "grid", "opinion")


def get(name: str) -> Channel:
    try:
        return CHANNELS[name]
    except KeyError:
        raise ValueError(f"Unknown channel '{name}': choose one of {', '.join(CHANNELS)}") from None

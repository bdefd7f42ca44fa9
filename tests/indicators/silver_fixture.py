"""Hand-built silver rows (domain-standard §7 A1 names) for the indicator and publish tests."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import types as T

S, TS, INT, B, D = T.StringType(), T.TimestampType(), T.IntegerType(), T.BooleanType(), T.DateType()

#: The §7 A1 columns the indicator and publish steps read (+ partition column accept_date).
SCHEMA = T.StructType([T.StructField(n, t) for n, t in [
    ("order_id", S), ("source_system", S), ("city_code", S), ("channel_code", S), ("accept_time", TS),
    ("appeal_type_code", S), ("handling_path_code", S), ("urgency_code", S),
    ("category_l1_code", S), ("category_l2_code", S), ("category_l3_code", S), ("category_version", S),
    ("tags", T.ArrayType(S)), ("title", S), ("content_redacted", S), ("caller_type", S),
    ("caller_phone_hash", S), ("caller_phone_masked", S), ("caller_name_masked", S),
    ("district_code", S), ("street_code", S), ("community_code", S), ("address_masked", S),
    ("lon", T.DoubleType()), ("lat", T.DoubleType()),
    ("dispatch_time", TS), ("main_dept_code", S), ("main_dept_name", S), ("sign_time", TS),
    ("first_contact_time", TS), ("sla_rule_id", S), ("due_time", TS), ("original_due_time", TS),
    ("dispatch_count", INT), ("return_count", INT), ("reassign_count", INT), ("extension_count", INT), ("urge_count", INT),
    ("supervise_flag", B), ("finish_time", TS), ("result_code", S), ("reply_redacted", S),
    ("revisit_time", TS), ("revisit_valid_flag", B), ("solved_code", S), ("satisfaction_code", S),
    ("status_code", S), ("reopen_flag", B), ("merged_into_id", S), ("case_cluster_id", S), ("is_valid", B),
    ("accept_date", D),
]])

DAY = dt.date(2025, 3, 4)  # a Tuesday, a working day


def ts(day_offset: int, hhmm: str, base: dt.date = DAY) -> dt.datetime:
    h, m = (int(x) for x in hhmm.split(":"))
    d = base + dt.timedelta(days=day_offset)
    return dt.datetime(d.year, d.month, d.day, h, m)


DEFAULTS: dict[str, Any] = {
    "source_system": "12345", "city_code": "990100", "channel_code": "01", "appeal_type_code": "01",
    "handling_path_code": "01", "urgency_code": "3", "category_version": "v1", "tags": [], "title": "诉求",
    "content_redacted": "[姓名]反映小区问题", "caller_type": "1", "caller_phone_masked": "138****5678",
    "caller_name_masked": "张*", "district_code": "990102", "street_code": "990102001",
    "community_code": "990102001001", "address_masked": "东城区东梅街道礼新昌社区", "lon": 118.861, "lat": 32.066,
    "sla_rule_id": "V1-01", "dispatch_count": 0, "return_count": 0, "reassign_count": 0, "extension_count": 0,
    "urge_count": 0, "supervise_flag": False, "reopen_flag": False, "revisit_valid_flag": False,
    "solved_code": None, "satisfaction_code": "0", "status_code": "21", "is_valid": True,
}


def order(**kw: Any) -> dict[str, Any]:
    row = {**DEFAULTS, **kw}
    if "accept_date" not in kw and row.get("accept_time") is not None:
        row["accept_date"] = row["accept_time"].date()
    if "main_dept_name" not in kw and row.get("main_dept_code"):
        row["main_dept_name"] = {"D01": "市住房和城乡建设委员会", "D02": "市房屋管理局"}.get(row["main_dept_code"], "部门")
    return row


def frame(spark: SparkSession, rows: list[dict[str, Any]]) -> DataFrame:
    return spark.createDataFrame([tuple(r.get(f.name) for f in SCHEMA.fields) for r in rows], SCHEMA)


def hand_built_orders() -> list[dict[str, Any]]:
    """The fixture whose expected indicator values are worked out by hand in test_formulas.py."""
    c1, c2 = "990102001001", "990102001002"
    return [
        order(order_id="O1", accept_time=ts(0, "09:00"), category_l1_code="01", category_l2_code="0101",
              category_l3_code="010101", caller_phone_hash="h1", community_code=c1, main_dept_code="D01",
              dispatch_count=1, dispatch_time=ts(0, "09:10"), sign_time=ts(0, "09:40"),
              first_contact_time=ts(0, "10:40"), due_time=ts(2, "23:59"), original_due_time=ts(2, "23:59"),
              finish_time=ts(0, "17:10"), revisit_time=ts(0, "20:00"), revisit_valid_flag=True,
              solved_code="1", satisfaction_code="5", status_code="40", case_cluster_id="K1"),
        order(order_id="O2", accept_time=ts(0, "10:00"), category_l1_code="01", category_l2_code="0101",
              category_l3_code="010102", caller_phone_hash="h2b", main_dept_code="D01", dispatch_count=2,
              return_count=1, reassign_count=1, extension_count=1, urge_count=1, supervise_flag=True,
              dispatch_time=ts(0, "10:30"), sign_time=ts(1, "11:30"), first_contact_time=ts(1, "12:00"),
              due_time=ts(0, "18:00"), original_due_time=ts(0, "18:00"), status_code="21"),
        order(order_id="O3", accept_time=ts(0, "11:00"), category_l1_code="02", category_l2_code="0201",
              category_l3_code="020101", caller_phone_hash="h2", handling_path_code="02", main_dept_code=None,
              finish_time=ts(0, "11:05"), revisit_time=ts(0, "15:00"), revisit_valid_flag=True,
              solved_code="2", satisfaction_code="3", status_code="40"),
        order(order_id="O4", accept_time=ts(0, "12:00"), district_code="990103", street_code="990103001",
              community_code="990103001001", category_l1_code="01", category_l2_code="0101",
              category_l3_code="010101", caller_phone_hash="h4", main_dept_code="D01", urgency_code="2",
              sla_rule_id="V1-U2", dispatch_count=1, dispatch_time=ts(0, "12:00"), sign_time=ts(0, "12:30"),
              first_contact_time=ts(1, "14:00"), due_time=ts(1, "23:59"), original_due_time=ts(1, "23:59"),
              finish_time=ts(0, "18:00"), revisit_time=ts(0, "21:00"), revisit_valid_flag=False, status_code="30"),
        order(order_id="O5", accept_time=ts(0, "13:00"), category_l1_code="01", category_l2_code="0101",
              category_l3_code="010101", caller_phone_hash="h5", main_dept_code="D01", dispatch_count=1,
              dispatch_time=ts(0, "13:00"), finish_time=ts(0, "14:00"), is_valid=False, status_code="80"),
        order(order_id="O6", accept_time=ts(0, "16:00"), category_l1_code="01", category_l2_code="0101",
              category_l3_code="010101", caller_phone_hash="h1", community_code=c1, main_dept_code="D01",
              tags=["安全隐患"], dispatch_count=1, dispatch_time=ts(0, "16:05"), sign_time=ts(0, "16:20"),
              first_contact_time=ts(0, "16:50"), due_time=ts(2, "23:59"), original_due_time=ts(2, "23:59"),
              status_code="22", case_cluster_id="K1"),
        order(order_id="O7", accept_time=ts(0, "18:00"), category_l1_code="01", category_l2_code="0101",
              category_l3_code="010101", caller_phone_hash="h1", community_code=c2, handling_path_code="07",
              main_dept_code=None, status_code="70", merged_into_id="O6", case_cluster_id="K1"),
        order(order_id="O8", accept_time=ts(-3, "08:30"), category_l1_code="01", category_l2_code="0101",
              category_l3_code="010103", caller_phone_hash="h8", main_dept_code="D02", dispatch_count=1,
              dispatch_time=ts(-3, "09:00"), sign_time=ts(-3, "09:30"), first_contact_time=ts(-3, "10:00"),
              due_time=ts(0, "12:00"), original_due_time=ts(0, "12:00"), finish_time=ts(0, "13:00"),
              reopen_flag=True, status_code="60"),
    ]

"""A small synthetic city with planted incidents, built in pandas for the insight tests.

Background orders are Poisson per street × L3 × day with a weekly pattern; their texts come from
varied templates. Planted: a water-main burst (street × L3), a duplicate storm (near-identical texts in
one community within hours), a city-wide class case (paraphrases naming one gym chain, across
districts) and a slow-building noise problem. ``incidents`` mimics ``gt_incidents``.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

START = dt.date(2025, 1, 6)
DAYS = 112
STREETS = {f"99010{d}00{s}": f"99010{d}" for d in (2, 3, 4) for s in (1, 2)}
L3 = ["010101", "020101", "030101", "050101", "060201", "040202"]
TOPICS = {
    "010101": ["物业费收取标准不透明", "物业乱收停车费", "物业服务差还涨价"],
    "020101": ["道路保洁不及时", "路面垃圾无人清扫", "人行道很脏"],
    "030101": ["小区停水没有通知", "水压太低用不上水", "自来水断供"],
    "050101": ["商铺音响噪音扰民", "广场舞声音太大", "夜间装修噪声"],
    "060201": ["商家拒绝退款", "网购商品质量问题", "超市价格欺诈"],
    "040202": ["路边停车收费不合理", "停车位被占用", "咪表收费有误"],
}
FILLERS = ["希望尽快处理", "请相关部门核实", "已经持续好几天了", "影响居民生活", "多次反映无果", "麻烦协调解决",
           "周边居民意见很大", "恳请给予答复", "请派人来看看", "老人小孩都受影响"]
ROADS = ["宁湖大街", "柳平街", "光清大街", "嘉清大街", "南新路", "云福巷", "石盛街", "云东巷"]


def _text(rng, l3: str) -> str:
    topic = TOPICS[l3][rng.integers(len(TOPICS[l3]))]
    road = ROADS[rng.integers(len(ROADS))]
    f1, f2 = rng.choice(FILLERS, 2, replace=False)
    return f"{road}附近{topic}，{f1}，{f2}。编号{rng.integers(10000)}"


def build(seed: int = 3) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(orders, incidents)``; orders carry the dwd_work_order columns the insight jobs read."""
    rng = np.random.default_rng(seed)
    rows = []

    def add(day: dt.date, street: str, l3: str, text: str, hour: int | None = None, community: str | None = None,
            incident: str | None = None):
        h = int(rng.integers(8, 21)) if hour is None else hour
        t = dt.datetime.combine(day, dt.time(h, int(rng.integers(60))))
        oid = f"O{len(rows):06d}"
        rows.append({
            "order_id": oid, "source_order_id": f"S{oid}", "accept_time": t, "accept_date": day,
            "district_code": STREETS[street], "street_code": street, "community_code": community or f"{street}001",
            "category_l1_code": l3[:2], "category_l2_code": l3[:4], "category_l3_code": l3,
            "title": text[:12], "content_redacted": text, "main_dept_name": f"部门{l3[:2]}",
            "finish_time": t + dt.timedelta(days=2), "due_time": t + dt.timedelta(days=3),
            "is_valid": True, "incident_id": incident,
        })

    for i in range(DAYS):
        day = START + dt.timedelta(days=i)
        weekly = 1.0 if day.weekday() < 5 else 0.6
        for street in STREETS:
            for l3 in L3:
                for _ in range(rng.poisson(0.35 * weekly)):
                    add(day, street, l3, _text(rng, l3))
    incidents = []
    # burst: water main break, street 990102001, days 80-81
    b0 = START + dt.timedelta(days=80)
    for k, n in enumerate((14, 7)):
        for _ in range(n):
            add(b0 + dt.timedelta(days=k), "990102001", "030101",
                f"{ROADS[0]}供水主管爆裂，整条街停水，{FILLERS[rng.integers(len(FILLERS))]}", incident="INC-BURST")
    incidents.append(("INC-BURST", "water_main_break", "030101", "990102", "990102001", b0, b0 + dt.timedelta(days=1)))
    # duplicate storm: one community, one afternoon, one event described by many people
    s0 = START + dt.timedelta(days=90)
    for _ in range(12):
        add(s0, "990103002", "030101", f"南新路与云福巷路口燃气管道破裂，气味很大，{FILLERS[rng.integers(3)]}",
            hour=int(rng.integers(14, 17)), community="990103002004", incident="INC-STORM")
    incidents.append(("INC-STORM", "duplicate_storm", "030101", "990103", "990103002", s0, s0))
    # class case: a gym chain closes; members in every district complain over 10 days, in their own words
    c0 = START + dt.timedelta(days=70)
    phr = ["力健健身突然闭店，预付卡无法退费", "办了力健健身的年卡，门店关门联系不上", "力健健身跑路了，会员卡余额退不了",
           "力健健身连锁停业，预付费用要求退还", "力健健身门店人去楼空，充值卡不能用"]
    for k in range(10):
        for _ in range(max(1, 5 - k // 2)):
            street = list(STREETS)[rng.integers(len(STREETS))]
            add(c0 + dt.timedelta(days=k), street, "060201", f"{phr[rng.integers(len(phr))]}，{FILLERS[rng.integers(len(FILLERS))]}",
                incident="INC-CLASS")
    incidents.append(("INC-CLASS", "class_case_prepaid", "060201", None, None, c0, c0 + dt.timedelta(days=9)))
    orders = pd.DataFrame(rows)
    inc = pd.DataFrame(incidents, columns=["incident_id", "type", "category_l3_code", "district_code", "street_code",
                                           "start_date", "end_date"])
    ids = orders.dropna(subset=["incident_id"]).groupby("incident_id")["source_order_id"].apply(sorted)
    inc["order_ids"] = inc["incident_id"].map(ids)
    inc["start_time"] = pd.to_datetime(inc["start_date"])
    inc["end_time"] = pd.to_datetime(inc["end_date"]) + pd.Timedelta(hours=22)
    return orders, inc


ORDER_SCHEMA = (
    "order_id string, source_order_id string, accept_time timestamp, accept_date date, district_code string, "
    "street_code string, community_code string, category_l1_code string, category_l2_code string, "
    "category_l3_code string, title string, content_redacted string, main_dept_name string, finish_time timestamp, "
    "due_time timestamp, is_valid boolean"
)
INCIDENT_SCHEMA = (
    "incident_id string, type string, category_l3_code string, district_code string, street_code string, "
    "start_time timestamp, end_time timestamp, order_ids array<string>"
)


def to_spark(spark, orders: pd.DataFrame, incidents: pd.DataFrame):
    o = spark.createDataFrame(orders.drop(columns=["incident_id"]), ORDER_SCHEMA)
    i = spark.createDataFrame(incidents[["incident_id", "type", "category_l3_code", "district_code", "street_code",
                                         "start_time", "end_time", "order_ids"]], INCIDENT_SCHEMA)
    return o, i

"""Driver-side planning of the synthetic city (pure Python/pandas, small): how many orders each day and
channel gets, the lookup tables that turn hash draws into categories, places and times, department
behaviour, and the planted incidents. Everything is a pure function of the seed and the date, so a day
plans the same whether it is generated alone or inside a long range.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import random
from dataclasses import dataclass, field

import pandas as pd

#: Streams: one per source system export (online forms split by source).
STREAMS = ("phone", "web", "wechat", "app", "grid", "opinion")
STREAM_ID = {s: i for i, s in enumerate(STREAMS)}
CAT_BUCKETS = 4096
PLACE_BUCKETS = 65536
TIME_BUCKETS = 10000

#: Hour-of-day weights per time profile (24 values each).
HOUR_PROFILES: dict[str, list[float]] = {
    "hotline": [0.5, 0.3, 0.2, 0.15, 0.15, 0.3, 0.8, 2.0, 4.5, 6.5, 7.0, 6.2, 4.2, 4.5, 6.0, 6.3, 5.8, 5.0, 3.8,
                3.5, 3.4, 2.9, 2.0, 1.1],
    "online": [1.2, 0.7, 0.4, 0.3, 0.3, 0.4, 0.9, 2.0, 3.5, 4.6, 5.0, 4.8, 4.0, 4.2, 4.6, 4.6, 4.4, 4.2, 4.0,
               4.6, 5.2, 5.3, 4.5, 2.8],
    "grid": [0, 0, 0, 0, 0, 0, 0, 0.5, 6, 9, 9, 7, 2, 3, 8, 9, 8, 5, 0.5, 0, 0, 0, 0, 0],
    "opinion": [2.5, 1.6, 0.9, 0.5, 0.4, 0.5, 0.9, 1.8, 2.8, 3.5, 3.8, 4.0, 4.2, 3.8, 3.6, 3.6, 3.8, 4.0, 4.4,
                5.2, 5.8, 6.0, 5.4, 4.0],
}
STREAM_PROFILE = {"phone": "hotline", "web": "online", "wechat": "online", "app": "online", "grid": "grid",
                  "opinion": "opinion"}
WEEKDAY_FACTOR = [1.16, 1.08, 1.05, 1.02, 1.0, 0.76, 0.70]  # Monday .. Sunday

#: Seasonal multipliers on L2 (or L3) category weights, by month (index 0 = January).
SEASONAL: dict[str, list[float]] = {
    "0304": [4.0, 3.5, 2.4, 0.5, 0.1, 0.05, 0.05, 0.05, 0.1, 0.5, 2.5, 3.8],      # 供暖
    "030101": [0.9, 0.9, 0.9, 1.0, 1.1, 1.8, 2.4, 2.2, 1.2, 0.9, 0.9, 0.9],        # 停水 in flood season
    "030103": [0.6, 0.6, 0.7, 0.9, 1.2, 2.2, 3.0, 2.6, 1.3, 0.8, 0.6, 0.6],        # 排水/污水外溢
    "0801": [0.4, 0.4, 0.8, 2.0, 2.6, 2.8, 2.6, 2.4, 1.0, 0.4, 0.3, 0.3],          # 入学 Apr-Aug
    "0501": [0.6, 0.6, 0.8, 1.0, 1.2, 1.6, 1.9, 1.8, 1.2, 1.0, 0.8, 0.6],          # 噪声 summer
    "0302": [1.0, 0.9, 0.8, 0.8, 0.9, 1.3, 1.7, 1.6, 1.0, 0.8, 0.9, 1.1],          # 供电 summer peak
    "0603": [0.8, 0.8, 0.9, 1.0, 1.1, 1.3, 1.4, 1.4, 1.1, 1.0, 0.9, 0.8],          # 食品安全 summer
    "0901": [1.4, 1.3, 1.1, 1.0, 0.9, 0.8, 0.8, 0.8, 0.9, 1.0, 1.1, 1.3],          # flu season
    "0701": [1.8, 1.0, 0.8, 0.8, 0.8, 0.8, 0.8, 0.8, 0.8, 0.9, 1.1, 1.6],          # 拖欠工资 (plus pre-festival surge)
}
NIGHT_BOOST = {"0501": 3.5, "1001": 3.0, "020301": 1.8}
PRE_FESTIVAL_BOOST = {"0701": 3.0}


@dataclass(frozen=True)
class GenConfig:
    """What to generate and at which rates (all rates are shares of orders unless stated)."""

    orders: int
    start: dt.date
    days: int
    seed: int = 12345
    epoch: dt.date | None = None  # first day of the city: repeats and incidents never reach before it
    repeat_share: float = 0.13
    heavy_share: float = 0.006
    heavy_callers: int = 300
    malicious_share: float = 0.0015
    malicious_callers: int = 40
    emergency_share: float = 0.015
    legal_share: float = 0.01
    sensitive_share: float = 0.005
    label_noise: float = 0.03
    multi_issue: float = 0.06
    ambiguous: float = 0.12
    typo_rate: float = 0.03
    halfwidth_rate: float = 0.12
    pii_phone_in_text: float = 0.08
    pii_id_in_text: float = 0.03
    pii_plate_in_text: float = 0.02
    pii_bank_in_text: float = 0.012
    pii_address: float = 0.45
    pii_name_in_text: float = 0.05
    dirty_line_rate: float = 0.0003  # per kind, per line
    dirty_file_rate: float = 0.02  # per file-level kind, per file
    gbk_day_rate: float = 0.12
    lines_per_file: int = 50000
    policy_date: dt.date = dt.date(2025, 7, 1)
    policy_category: str = "040202"
    policy_uplift: float = 0.6
    trend_per_year: float = 0.08
    extra: dict = field(default_factory=dict)

    @property
    def first_day(self) -> dt.date:
        return self.epoch or self.start

    def day_list(self) -> list[dt.date]:
        return [self.start + dt.timedelta(days=i) for i in range(self.days)]


def stable_rng(*parts: object) -> random.Random:
    """A random generator seeded by the parts (independent of PYTHONHASHSEED)."""
    digest = hashlib.sha256("|".join(str(p) for p in parts).encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


def day_num(d: dt.date) -> int:
    return (d - dt.date(1970, 1, 1)).days


# ------------------------------------------------------------------------------------------ volumes --
def day_info(calendar: pd.DataFrame) -> dict[dt.date, dict]:
    """date -> {day_type, holiday_name} from ref_calendar."""
    return {r.date: {"day_type": r.day_type, "holiday": r.holiday_name} for r in calendar.itertuples()}


def spring_festivals(calendar: pd.DataFrame) -> list[dt.date]:
    cal = calendar[calendar["holiday_name"] == "春节"]
    return sorted(cal.groupby("year")["date"].min().tolist())


def pre_festival(d: dt.date, festivals: list[dt.date]) -> bool:
    return any(0 < (f - d).days <= 30 for f in festivals)


def day_weight(d: dt.date, info: dict, cfg: GenConfig) -> float:
    """Relative volume of a day: trend × weekday × holiday × season."""
    years = (d - dt.date(2020, 1, 1)).days / 365.25
    w = (1 + cfg.trend_per_year) ** years
    kind = info.get(d, {}).get("day_type", "workday")
    name = info.get(d, {}).get("holiday", "")
    if kind == "holiday":
        w *= 0.45 if name == "春节" else (0.62 if "国庆" in name else 0.72)
    elif kind == "makeup_workday":
        w *= 1.05
    else:
        w *= WEEKDAY_FACTOR[d.weekday()]
    w *= 1.0 + 0.08 * math.sin((d.timetuple().tm_yday - 100) / 365.25 * 2 * math.pi)  # summer a bit busier
    return w


def stream_shares(d: dt.date) -> dict[str, float]:
    """Channel mix of a day: phone dominant, online growing over time."""
    years = max(0.0, (d - dt.date(2020, 1, 1)).days / 365.25)
    online = min(0.30, 0.07 + 0.018 * years)
    grid, opinion = 0.03, 0.012
    phone = 1.0 - online - grid - opinion
    return {"phone": phone, "web": online * 0.25, "wechat": online * (0.40 + 0.02 * years),
            "app": online * (0.35 - 0.02 * years), "grid": grid, "opinion": opinion}


def daily_counts(cfg: GenConfig, calendar: pd.DataFrame) -> pd.DataFrame:
    """One row per (day, stream): n orders. The per-day rate is orders / Σ weights over the range."""
    info = day_info(calendar)
    days = cfg.day_list()
    weights = [day_weight(d, info, cfg) for d in days]
    rate = cfg.orders / sum(weights)
    rows = []
    for d, w in zip(days, weights, strict=True):
        n = int(round(rate * w))
        shares = stream_shares(d)
        alloc = {s: int(math.floor(n * p)) for s, p in shares.items()}
        alloc["phone"] += n - sum(alloc.values())
        for s in STREAMS:
            rows.append({"day": d, "day_num": day_num(d), "stream": s, "stream_id": STREAM_ID[s], "n": alloc[s]})
    out = pd.DataFrame(rows)
    out.attrs["rate"] = rate
    return out


def estimate_count(d: dt.date, stream: str, rate: float, info: dict, cfg: GenConfig) -> int:
    return int(round(rate * day_weight(d, info, cfg) * stream_shares(d)[stream]))


# ------------------------------------------------------------------------------------ lookup tables --
def _buckets(keys: list, weights: list[float], n: int) -> list:
    total = float(sum(weights))
    cum, out, i = 0.0, [], 0
    bounds = []
    for w in weights:
        cum += w / total
        bounds.append(cum)
    for b in range(n):
        q = (b + 0.5) / n
        while i < len(bounds) - 1 and q > bounds[i]:
            i += 1
        out.append(keys[i])
    return out


def category_weights(categories: pd.DataFrame, month: int, night: bool, pre_sf: bool) -> dict[str, float]:
    cats = categories[categories["l3_code"] != "999999"]
    per_l1 = cats.groupby("l1_code")["l3_code"].count().to_dict()
    weights = {}
    for r in cats.itertuples():
        share = r.l1_share_assumed if r.l1_share_assumed > 0 else 0.01
        w = share / per_l1[r.l1_code]
        for key in (r.l2_code, r.l3_code):
            if key in SEASONAL:
                w *= SEASONAL[key][month - 1]
            if night and key in NIGHT_BOOST:
                w *= NIGHT_BOOST[key]
            if pre_sf and key in PRE_FESTIVAL_BOOST:
                w *= PRE_FESTIVAL_BOOST[key]
        weights[r.l3_code] = w
    weights["999999"] = 0.004
    return weights


def category_lookup(categories: pd.DataFrame) -> pd.DataFrame:
    """(cat_profile, bucket) -> l3 code, cat_profile = month*4 + night*2 + pre_festival."""
    rows = []
    for month in range(1, 13):
        for night in (0, 1):
            for pre in (0, 1):
                w = category_weights(categories, month, bool(night), bool(pre))
                keys = sorted(w)
                for b, code in enumerate(_buckets(keys, [w[k] for k in keys], CAT_BUCKETS)):
                    rows.append((month * 4 + night * 2 + pre, b, code))
    return pd.DataFrame(rows, columns=["cat_profile", "cat_bucket", "l3_code"])


def place_lookup(communities: pd.DataFrame, districts: pd.DataFrame) -> pd.DataFrame:
    """bucket -> community, weighted by population × the district's complaint propensity."""
    prop = dict(zip(districts["district_code"], districts["complaint_propensity"], strict=True))
    comm = communities.sort_values("community_code")
    weights = [p * prop[d] for p, d in zip(comm["population"], comm["district_code"], strict=True)]
    codes = _buckets(comm["community_code"].tolist(), weights, PLACE_BUCKETS)
    return pd.DataFrame({"place_bucket": range(PLACE_BUCKETS), "community_code": codes})


def time_lookup() -> pd.DataFrame:
    """(time_profile, bucket) -> second of day: the inverse CDF of the hour profile."""
    rows = []
    for pid, (_, hours) in enumerate(sorted(HOUR_PROFILES.items())):
        total = sum(hours)
        cum = [0.0]
        for h in hours:
            cum.append(cum[-1] + h / total)
        for b in range(TIME_BUCKETS):
            q = (b + 0.5) / TIME_BUCKETS
            h = max(i for i in range(24) if cum[i] <= q and hours[i] > 0) if q > 0 else 0
            frac = (q - cum[h]) / max(cum[h + 1] - cum[h], 1e-12)
            rows.append((pid, b, int((h + min(max(frac, 0.0), 0.9999)) * 3600)))
    return pd.DataFrame(rows, columns=["time_profile", "time_bucket", "sec_of_day"])


def time_profile_id(stream: str) -> int:
    return sorted(HOUR_PROFILES).index(STREAM_PROFILE[stream])


def second_for_quantile(stream: str, q: float) -> int:
    hours = HOUR_PROFILES[STREAM_PROFILE[stream]]
    total = sum(hours)
    cum = 0.0
    for h, w in enumerate(hours):
        if w > 0 and q <= cum + w / total:
            return int((h + (q - cum) / (w / total) * 0.9999) * 3600)
        cum += w / total
    return 86399


def quantile_for_second(stream: str, sec: int) -> float:
    hours = HOUR_PROFILES[STREAM_PROFILE[stream]]
    total = sum(hours)
    h = sec // 3600
    return (sum(hours[:h]) + hours[h] * (sec % 3600) / 3600) / total


def department_behaviour(departments: pd.DataFrame, seed: int) -> pd.DataFrame:
    """Per department: speed (share of the SLA span used), late tendency, return rate, quality."""
    rows = []
    slow = {"D07", "D27", "D02", "D01"}
    returners = {"D26", "D05", "S00", "D22"}
    careful = {"D09", "D10", "D11", "D12", "D28"}
    for code in departments["dept_code"]:
        r = stable_rng(seed, "dept", code)
        speed = r.uniform(0.25, 0.55) * (1.8 if code in slow else 1.0)
        rows.append({
            "dept_code": code,
            "dept_speed": round(speed, 4),
            "dept_sign_hours": round(r.uniform(0.5, 6.0) * (2.5 if code in slow else 1.0), 3),
            "dept_return_rate": round(r.uniform(0.01, 0.04) + (0.12 if code in returners else 0.0), 4),
            "dept_extension_rate": round(r.uniform(0.02, 0.06) + (0.08 if code in slow else 0.0), 4),
            "dept_quality": round(r.uniform(-0.3, 0.3) + (0.5 if code in careful else 0.0), 4),
        })
    return pd.DataFrame(rows)


ID_PREFIX = {"phone": "RX-", "web": "WEB", "wechat": "WX", "app": "APP"}


def source_id(stream: str, day: dt.date, k: int) -> str:
    """The source system's order id of slot k (mirrors orders.source_id_col); phone/online only."""
    if stream == "phone":
        return f"RX-{day:%Y%m%d}-{k + 1:06d}"
    return f"{ID_PREFIX[stream]}{day:%Y%m%d}{k + 1:06d}"


# ---------------------------------------------------------------------------------------- incidents --
INCIDENT_TYPES = {
    # type: (every n days on average, category, description)
    "water_main_break": (25, "030101", "供水主管爆裂，整条街道停水"),
    "slow_building_noise": (70, "050101", "工地夜间施工噪声逐周加重"),
    "class_case_prepaid": (140, "060201", "连锁健身房闭店，预付卡无法退费"),
    "duplicate_storm": (35, None, "同一事件被多名群众多渠道同时反映"),
}
STORM_EVENTS = [("030201", "变压器起火导致整片停电"), ("040101", "道路塌陷出现大坑"), ("030301", "街边燃气管道破裂"),
                ("050203", "垃圾堆燃烧浓烟滚滚"), ("030103", "主干道污水井喷涌")]


@dataclass
class Incident:
    incident_id: str
    type: str
    category: str
    description: str
    start: dt.datetime
    end: dt.datetime | None
    district_code: str | None
    street_code: str | None
    community_code: str | None
    streams: dict[str, float]
    #: (day, hour window start, hour window end, orders) tuples
    schedule: list[tuple[dt.date, int, int, int]]


def _scale(rate: float) -> float:
    return min(3.0, max(0.15, math.sqrt(rate / 20000.0)))


def plan_incidents(cfg: GenConfig, rate: float, streets: pd.DataFrame, communities: pd.DataFrame,
                   categories: pd.DataFrame, calendar: pd.DataFrame) -> list[Incident]:
    """Every incident touching the generated days (starting up to 60 days before the range)."""
    scale = _scale(rate)
    last = cfg.start + dt.timedelta(days=cfg.days - 1)
    first = max(cfg.first_day, cfg.start - dt.timedelta(days=60))
    street_list = streets.sort_values("street_code")
    comm_list = communities.sort_values("community_code")
    out: list[Incident] = []
    d = first
    while d <= last:
        for kind, (every, cat, desc) in INCIDENT_TYPES.items():
            r = stable_rng(cfg.seed, "incident", kind, d.isoformat())
            if r.random() >= 1.0 / every:
                continue
            iid = f"INC-{d:%Y%m%d}-{kind[:5].upper()}-{r.randrange(1000):03d}"
            if kind == "water_main_break":
                st = street_list.iloc[r.randrange(len(street_list))]
                span = r.randint(1, 3)
                total = max(3, int(r.randint(25, 60) * scale))
                sched = _spread(d, span, total, 6, 22, r)
                out.append(Incident(iid, kind, cat, f"{desc}（{st.street_name}）", dt.datetime(d.year, d.month, d.day, 6),
                                    dt.datetime.combine(d + dt.timedelta(days=span - 1), dt.time(22)),
                                    st.district_code, st.street_code, None,
                                    {"phone": 0.75, "wechat": 0.15, "app": 0.1}, sched))
            elif kind == "slow_building_noise":
                cm = comm_list.iloc[r.randrange(len(comm_list))]
                span = r.randint(21, 42)
                sched = []
                for i in range(span):
                    n = max(0, int(round((1 + 7 * i / span) * scale * r.uniform(0.6, 1.4))))
                    if n:
                        sched.append((d + dt.timedelta(days=i), 21, 24, n))
                out.append(Incident(iid, kind, cat, f"{desc}（{cm.community_name}）", dt.datetime(d.year, d.month, d.day, 21),
                                    dt.datetime.combine(d + dt.timedelta(days=span - 1), dt.time(23, 59, 59)),
                                    cm.district_code, cm.street_code, cm.community_code,
                                    {"phone": 0.8, "wechat": 0.1, "web": 0.1}, sched))
            elif kind == "class_case_prepaid":
                span = r.randint(10, 20)
                total = max(6, int(r.randint(80, 200) * scale))
                out.append(Incident(iid, kind, cat, f"{desc}（{r.choice(['力健', '动感', '悦体'])}健身连锁）",
                                    dt.datetime(d.year, d.month, d.day, 8),
                                    dt.datetime.combine(d + dt.timedelta(days=span - 1), dt.time(22)),
                                    None, None, None, {"phone": 0.6, "wechat": 0.2, "web": 0.1, "app": 0.1},
                                    _spread(d, span, total, 8, 22, r)))
            else:
                cat, desc2 = STORM_EVENTS[r.randrange(len(STORM_EVENTS))]
                cm = comm_list.iloc[r.randrange(len(comm_list))]
                h0 = r.randint(7, 19)
                total = max(4, int(r.randint(15, 40) * scale))
                out.append(Incident(iid, kind, cat, f"{desc2}（{cm.community_name}）", dt.datetime(d.year, d.month, d.day, h0),
                                    dt.datetime(d.year, d.month, d.day, h0 + 3, 59, 59),
                                    cm.district_code, cm.street_code, cm.community_code,
                                    {"phone": 0.55, "wechat": 0.15, "app": 0.1, "opinion": 0.12, "grid": 0.08},
                                    [(d, h0, h0 + 4, total)]))
        d += dt.timedelta(days=1)
    # the policy change: from a known date one category grows by a fixed share of its baseline
    if cfg.policy_date <= last:
        cat_w = category_weights(categories, cfg.policy_date.month, False, False)
        share = cat_w[cfg.policy_category] / sum(cat_w.values())
        sched = []
        info = day_info(calendar)
        for day in cfg.day_list():
            if day >= cfg.policy_date:
                expected = rate * day_weight(day, info, cfg) * share * cfg.policy_uplift
                r = stable_rng(cfg.seed, "policy", day.isoformat())
                n = int(expected) + (1 if r.random() < expected - int(expected) else 0)
                if n:
                    sched.append((day, 8, 21, n))
        out.append(Incident(f"INC-{cfg.policy_date:%Y%m%d}-POLICY-{cfg.policy_category}", "policy_change",
                            cfg.policy_category, "路边停车收费新政实施，停车收费诉求上升",
                            dt.datetime.combine(cfg.policy_date, dt.time(0)), None, None, None, None,
                            {"phone": 0.8, "wechat": 0.1, "app": 0.1}, sched))
    return out


def _spread(d: dt.date, span: int, total: int, h0: int, h1: int, r: random.Random):
    weights = [1.0 / (i + 1) for i in range(span)]
    out, left = [], total
    for i, w in enumerate(weights):
        n = left if i == span - 1 else int(round(total * w / sum(weights)))
        n = min(n, left)
        left -= n
        if n:
            out.append((d + dt.timedelta(days=i), h0, h1, n))
    return out


def incident_slots(incidents: list[Incident], counts: pd.DataFrame, communities: pd.DataFrame,
                   cfg: GenConfig) -> pd.DataFrame:
    """Assign every incident order to an odd slot k of its (day, stream) in the generated range.

    An overridden slot becomes the incident's order (its place, time and category replace the base
    draws). Parents of repeat orders are always even slots, so no repeat ever points at an incident.
    """
    n_of = {(r.day, r.stream): r.n for r in counts.itertuples()}
    in_range = set(cfg.day_list())
    used: set[tuple] = set()
    comm = communities.sort_values("community_code")
    by_street = {s: g["community_code"].tolist() for s, g in comm.groupby("street_code")}
    all_comms = comm["community_code"].tolist()
    rows = []
    for inc in incidents:
        storm_first = True
        master_id = None
        for day, h0, h1, n in inc.schedule:
            if day not in in_range:
                continue
            r = stable_rng(cfg.seed, "slots", inc.incident_id, day.isoformat())
            streams = list(inc.streams)
            for _j in range(n):
                stream = r.choices(streams, weights=[inc.streams[s] for s in streams])[0]
                if inc.type == "duplicate_storm" and storm_first:
                    stream = "phone"
                total = n_of.get((day, stream), 0)
                if total < 2:
                    continue
                sec = r.randint(h0 * 3600, min(h1 * 3600, 86400) - 1)
                if inc.type == "duplicate_storm" and storm_first:
                    sec = h0 * 3600 + r.randint(0, 300)
                q = quantile_for_second(stream, sec)
                k = int(q * total)
                k = k if k % 2 == 1 else k + 1
                tries = 0
                while ((day, stream, k) in used or k >= total) and tries < total:
                    k = k + 2 if k + 2 < total else 1
                    tries += 1
                if tries >= total or k >= total:
                    continue
                used.add((day, stream, k))
                if inc.community_code:
                    cm = inc.community_code
                elif inc.street_code:
                    cm = r.choice(by_street[inc.street_code])
                else:
                    cm = r.choice(all_comms)
                if storm_first and inc.type == "duplicate_storm":
                    master_id = source_id(stream, day, k)
                rows.append({"day_num": day_num(day), "stream_id": STREAM_ID[stream], "k": k,
                             "incident_id": inc.incident_id, "incident_type": inc.type, "inc_l3": inc.category,
                             "inc_community": cm, "inc_sec": sec, "storm_master": inc.type == "duplicate_storm"
                             and storm_first, "inc_text": inc.description,
                             "storm_master_id": master_id if inc.type == "duplicate_storm" else None})
                storm_first = False
    cols = ["day_num", "stream_id", "k", "incident_id", "incident_type", "inc_l3", "inc_community", "inc_sec",
            "storm_master", "inc_text", "storm_master_id"]
    return pd.DataFrame(rows, columns=cols)


def incidents_frame(incidents: list[Incident]) -> pd.DataFrame:
    return pd.DataFrame([{
        "incident_id": i.incident_id, "type": i.type, "category_l3_code": i.category, "description": i.description,
        "district_code": i.district_code, "street_code": i.street_code, "community_code": i.community_code,
        "start_time": i.start, "end_time": i.end,
    } for i in incidents], columns=["incident_id", "type", "category_l3_code", "description", "district_code",
                                    "street_code", "community_code", "start_time", "end_time"])

"""Reference tables as pandas frames built from the reviewable files in ``data/`` (pure, no Spark).

Every row carries ``version`` and its effective dates, so a later version of a code list or of the
派单目录 can stand beside the current one.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import yaml

DATA = Path(__file__).resolve().parent / "data"
VERSION = "v1"
EFFECTIVE_FROM = dt.date(2020, 1, 1)
EFFECTIVE_TO = dt.date(9999, 12, 31)


def _csv(name: str) -> pd.DataFrame:
    return pd.read_csv(DATA / name, dtype=str, keep_default_na=False, encoding="utf-8")


def _versioned(df: pd.DataFrame) -> pd.DataFrame:
    out = df.copy()
    out["version"] = VERSION
    if "effective_from" not in out:
        out["effective_from"] = EFFECTIVE_FROM
    if "effective_to" not in out:
        out["effective_to"] = EFFECTIVE_TO
    out["effective_from"] = pd.to_datetime(out["effective_from"]).dt.date
    out["effective_to"] = out["effective_to"].map(lambda v: v if isinstance(v, dt.date) else dt.date.fromisoformat(v))
    return out


def codelists() -> pd.DataFrame:
    return _versioned(_csv("codelists_v1.csv"))


def categories() -> pd.DataFrame:
    df = _csv("category_tree_v1.csv")
    df["l1_share_assumed"] = df["l1_share_assumed"].astype(float)
    return _versioned(df)


def districts() -> pd.DataFrame:
    df = _csv("city_districts.csv")
    df["population"] = df["population"].astype("int64")
    for c in ("complaint_propensity", "lon", "lat"):
        df[c] = df[c].astype(float)
    return _versioned(df)


def streets() -> pd.DataFrame:
    df = _csv("city_streets.csv")
    df["population"] = df["population"].astype("int64")
    for c in ("lon", "lat"):
        df[c] = df[c].astype(float)
    return _versioned(df)


def communities() -> pd.DataFrame:
    df = _csv("city_communities.csv")
    df["population"] = df["population"].astype("int64")
    for c in ("lon", "lat"):
        df[c] = df[c].astype(float)
    return _versioned(df)


def departments() -> pd.DataFrame:
    return _versioned(_csv("departments.csv"))


def dispatch_rules() -> pd.DataFrame:
    return _versioned(_csv("dispatch_rules.csv"))


def sla_rules() -> pd.DataFrame:
    df = _csv("sla_rules.csv")
    df["deadline_value"] = df["deadline_value"].astype(float)
    df["sign_within_hours"] = df["sign_within_hours"].astype(float)
    df["response_within_hours"] = df["response_within_hours"].astype(float)
    df["effective_from"] = pd.to_datetime(df["effective_from"]).dt.date
    df["effective_to"] = df["effective_to"].map(dt.date.fromisoformat)
    df["version"] = df["sla_rule_id"].str.split("-").str[0].str.lower()
    return df


def holidays() -> dict[int, list[dict]]:
    with (DATA / "holidays.yaml").open(encoding="utf-8") as fh:
        return yaml.safe_load(fh)


#: The statutory holidays whose Gregorian dates are fixed by 《全国年节及纪念日放假办法》 (2024 revision):
#: 元旦 1 day, 劳动节 2 days, 国庆节 3 days. The others follow the lunar calendar or a solar term, and
#: every year's 调休 (swapped days) comes only with that year's 国务院办公厅 notice.
FIXED_DATE_HOLIDAYS: tuple[tuple[str, int, int], ...] = (
    ("元旦", 1, 1), ("劳动节", 5, 1), ("劳动节", 5, 2), ("国庆节", 10, 1), ("国庆节", 10, 2), ("国庆节", 10, 3),
)
#: How many years past the last notice in ``holidays.yaml`` the calendar may run provisionally.
PROVISIONAL_YEARS = 1


def provisional_schedule(year: int) -> list[dict]:
    """A year's holidays as far as they are known before its 国务院办公厅 notice: the fixed-date statutory
    days only (no lunar holidays, no 调休). A deadline counted across it can differ from the one the
    notice will give: earlier across a lunar holiday, later where the notice makes a weekend day a
    working day."""
    return [{"name": name, "days": [dt.date(year, m, d), dt.date(year, m, d)]}
            for name, m, d in FIXED_DATE_HOLIDAYS]


def calendar(first_year: int, last_year: int) -> pd.DataFrame:
    """One row per date of the covered years, with working-day status and a running working-day index.

    ``workday_index`` counts working days from the first covered date; a deadline of *n* working
    days after day *d* is the first date whose index is ``index(d) + n`` (see jobs.common.worktime).

    A year after the last one in ``holidays.yaml`` (at most :data:`PROVISIONAL_YEARS` of them) is
    built from :func:`provisional_schedule` and marked ``is_provisional``: around New Year the
    deadlines of December's orders already run into a year whose notice may not be loaded yet, and
    the city's work must not stop for it. Deadlines on such days are flagged by standardise
    (``due_time_provisional``) so that they can be recomputed once the notice is in.

    Raises:
        ValueError: a year in the range has no holiday schedule in ``holidays.yaml`` and cannot be
            provisional (it is before the last scheduled year, or too far after it).
    """
    schedule = holidays()
    last_official = max(schedule)
    provisional = set(range(last_official + 1, last_official + 1 + PROVISIONAL_YEARS))
    missing = [y for y in range(first_year, last_year + 1) if y not in schedule and y not in provisional]
    if missing:
        raise ValueError(
            f"holidays.yaml has no schedule for {missing} (the last is {last_official}; one year after it "
            "can run provisionally): add the year's 国务院办公厅 notice before extending calendar.last_year"
        )
    off: dict[dt.date, str] = {}
    work: dict[dt.date, str] = {}
    for year in range(first_year, last_year + 1):
        for h in schedule[year] if year in schedule else provisional_schedule(year):
            first, last = h["days"]
            d = first
            while d <= last:
                off[d] = h["name"]
                d += dt.timedelta(days=1)
            for w in h.get("makeup", []) or []:
                work[w] = h["name"]
    rows = []
    d = dt.date(first_year, 1, 1)
    index = 0
    while d <= dt.date(last_year, 12, 31):
        if d in work:
            day_type, is_work, name = "makeup_workday", True, work[d]
        elif d in off:
            day_type, is_work, name = "holiday", False, off[d]
        elif d.weekday() >= 5:
            day_type, is_work, name = "weekend", False, ""
        else:
            day_type, is_work, name = "workday", True, ""
        index += int(is_work)
        rows.append({"date": d, "year": d.year, "weekday": d.isoweekday(), "is_workday": is_work,
                     "day_type": day_type, "holiday_name": name, "workday_index": index,
                     "is_provisional": d.year not in schedule})
        d += dt.timedelta(days=1)
    return pd.DataFrame(rows)


def all_tables(first_year: int, last_year: int) -> dict[str, pd.DataFrame]:
    """Catalogue table name → frame, for every reference table."""
    return {
        "ref_codelist": codelists(),
        "ref_category": categories(),
        "ref_district": districts(),
        "ref_street": streets(),
        "ref_community": communities(),
        "ref_department": departments(),
        "ref_dispatch_rule": dispatch_rules(),
        "ref_sla_rule": sla_rules(),
        "ref_calendar": calendar(first_year, last_year),
    }

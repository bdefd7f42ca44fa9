"""Integrity of the reviewable reference files (pure pandas, no Spark)."""

import datetime as dt

import pytest

from jobs.reference import tables as ref


@pytest.fixture(scope="module")
def t():
    return ref.all_tables(2020, 2026)


def test_codes_are_unique_per_code_list(t):
    cl = t["ref_codelist"]
    assert not cl.duplicated(["codelist", "code"]).any()
    for name in ("CL-CHANNEL", "CL-APPEAL", "CL-PATH", "CL-URG", "CL-STATUS", "CL-EVENT", "CL-SOLVED",
                 "CL-SATIS", "CL-RESULT"):
        assert (cl["codelist"] == name).sum() >= 3, name


def test_category_tree_is_three_consistent_levels(t):
    cat = t["ref_category"]
    assert cat["l3_code"].is_unique
    assert cat["l1_code"].nunique() >= 10 and cat["l2_code"].nunique() >= 40 and len(cat) >= 90
    assert (cat.apply(lambda r: r.l2_code.startswith(r.l1_code) and r.l3_code.startswith(r.l2_code), axis=1)).all()
    assert cat.groupby("l2_code")["l2_name"].nunique().max() == 1
    assert cat.groupby("l1_code")["l1_name"].nunique().max() == 1
    assert (cat["lead_dept"] != "").all()


def test_city_codes_follow_the_national_structures(t):
    d, s, c = t["ref_district"], t["ref_street"], t["ref_community"]
    assert len(d) >= 10 and len(s) >= 100 and len(c) >= 1000
    assert d["district_code"].str.fullmatch(r"\d{6}").all() and d["district_code"].is_unique
    assert s["street_code"].str.fullmatch(r"\d{9}").all() and s["street_code"].is_unique
    assert c["community_code"].str.fullmatch(r"\d{12}").all() and c["community_code"].is_unique
    assert (s["street_code"].str[:6].isin(d["district_code"])).all()
    assert (c["community_code"].str[:9] == c["street_code"]).all()
    # 街道 001-099, 镇 100-199; 居委会 001-199, 村委会 200-399
    towns = s["street_type"] == "镇"
    assert s.loc[towns, "street_code"].str[6:].astype(int).between(100, 199).all()
    assert s.loc[~towns, "street_code"].str[6:].astype(int).between(1, 99).all()
    assert (c["population"] > 0).all() and c[["lon", "lat"]].notna().all().all()
    assert d["population"].sum() == c["population"].sum()


def test_every_l3_has_a_dispatch_rule_for_every_district_with_known_departments(t):
    rules, cat, d, dept = t["ref_dispatch_rule"], t["ref_category"], t["ref_district"], t["ref_department"]
    assert len(rules) == len(cat) * len(d)
    assert not rules.duplicated(["l3_code", "district_code"]).any()
    assert set(rules["l3_code"]) == set(cat["l3_code"]) and set(rules["district_code"]) == set(d["district_code"])
    known = set(dept["dept_code"])
    assert rules["lead_dept_code"].isin(known).all()
    assists = {a for v in rules["assist_dept_codes"] for a in v.split(";") if a}
    assert assists <= known


def test_every_appeal_type_and_urgency_has_one_sla_rule_on_every_day(t):
    sla = t["ref_sla_rule"]
    appeal = t["ref_codelist"].query("codelist == 'CL-APPEAL'")["code"]
    assert set(sla["deadline_unit"]) <= {"natural_hours", "natural_days", "working_days"}
    for day in (dt.date(2020, 1, 1), dt.date(2025, 6, 30), dt.date(2025, 7, 1), dt.date(2026, 12, 31)):
        live = sla[(sla.effective_from <= day) & (sla.effective_to >= day)]
        for a in appeal:
            general = live[(live.appeal_type_code == a) & (live.urgency_code == "3")]
            assert len(general) == 1, (day, a)
        for u in ("1", "2"):
            assert len(live[(live.appeal_type_code == "*") & (live.urgency_code == u)]) == 1, (day, u)


def test_calendar_covers_the_configured_years_with_holidays_and_makeup_days(t):
    cal = t["ref_calendar"]
    assert cal["date"].min() == dt.date(2020, 1, 1) and cal["date"].max() == dt.date(2026, 12, 31)
    assert cal["date"].is_unique and len(cal) == (dt.date(2026, 12, 31) - dt.date(2020, 1, 1)).days + 1
    day = cal.set_index("date")
    assert day.loc[dt.date(2024, 2, 12), "day_type"] == "holiday"  # 春节 on a Monday
    assert day.loc[dt.date(2024, 2, 4), "day_type"] == "makeup_workday"  # a Sunday worked
    assert bool(day.loc[dt.date(2024, 2, 4), "is_workday"])
    assert day.loc[dt.date(2025, 10, 8), "holiday_name"] == "国庆节中秋节"
    assert (cal["workday_index"].diff().fillna(1) >= 0).all()
    per_year = cal[cal.is_workday].groupby("year").size()
    assert per_year.between(242, 252).all()  # China has 244-251 working days a year


def test_a_year_without_a_holiday_schedule_is_refused():
    last = max(ref.holidays())
    # the year after the last notice may run provisionally; the ones after it may not
    with pytest.raises(ValueError, match=rf"no schedule for \[{last + 2}, {last + 3}\]"):
        ref.calendar(last, last + 3)
    # nor may a year before the last notice that has none
    with pytest.raises(ValueError, match=r"no schedule for \[2019\]"):
        ref.calendar(2019, 2020)


def test_the_year_after_the_last_notice_is_provisional_with_its_fixed_date_holidays():
    last = max(ref.holidays())
    year = last + 1
    cal = ref.calendar(last, year)
    official, provisional = cal[cal.year == last], cal[cal.year == year]
    assert not official["is_provisional"].any() and provisional["is_provisional"].all()
    assert provisional["date"].max() == dt.date(year, 12, 31)
    day = provisional.set_index("date")
    holidays = {d for d, r in day.iterrows() if r.day_type == "holiday"}
    assert holidays == {dt.date(year, 1, 1), dt.date(year, 5, 1), dt.date(year, 5, 2),
                        dt.date(year, 10, 1), dt.date(year, 10, 2), dt.date(year, 10, 3)}
    assert day.loc[dt.date(year, 10, 2), "holiday_name"] == "国庆节"
    assert not (provisional["day_type"] == "makeup_workday").any()  # 调休 only comes with the notice
    weekends = provisional[provisional.weekday >= 6]
    assert (weekends["day_type"].isin(["weekend", "holiday"])).all() and not weekends["is_workday"].any()
    # the running index goes on across the new year: a deadline counted from December lands in January
    assert provisional["workday_index"].iloc[0] >= official["workday_index"].iloc[-1]
    weekdays_off = sum(1 for d in holidays if d.weekday() < 5)
    assert provisional["is_workday"].sum() == (provisional.weekday <= 5).sum() - weekdays_off

"""The generator's driver-side plan: volumes, lookup tables and incidents (pure Python, no Spark)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from jobs.generate import plan as P
from jobs.reference import tables as T


@pytest.fixture(scope="module")
def ref():
    return {"cal": T.calendar(2020, 2026), "cats": T.categories(), "comm": T.communities(), "streets": T.streets(),
            "districts": T.districts()}


def test_daily_counts_add_up_and_follow_the_calendar(ref):
    cfg = P.GenConfig(orders=100_000, start=dt.date(2025, 1, 1), days=90)
    counts = P.daily_counts(cfg, ref["cal"])
    assert abs(counts["n"].sum() - 100_000) <= 90
    per_day = counts.groupby("day")["n"].sum()
    assert per_day[dt.date(2025, 1, 29)] < 0.5 * per_day[dt.date(2025, 1, 13)]  # 春节 vs an ordinary Monday
    assert per_day[dt.date(2025, 1, 13)] > per_day[dt.date(2025, 1, 12)]  # Monday > Sunday
    phone = counts[counts["stream"] == "phone"].set_index("day")["n"] / per_day
    assert 0.75 < phone.mean() < 0.92


def test_online_share_grows_over_time():
    early, late = P.stream_shares(dt.date(2020, 6, 1)), P.stream_shares(dt.date(2026, 6, 1))
    assert late["phone"] < early["phone"] and late["wechat"] > early["wechat"]
    assert sum(late.values()) == pytest.approx(1.0)


def test_category_lookup_is_seasonal_and_nocturnal(ref):
    lk = P.category_lookup(ref["cats"])
    share = lk.groupby(["cat_profile"])["l3_code"].apply(lambda s: s.str.startswith("0304").mean())
    assert share[1 * 4] > 10 * share[7 * 4]  # heating: January day vs July day
    noise = lk.groupby(["cat_profile"])["l3_code"].apply(lambda s: s.str.startswith("0501").mean())
    assert noise[7 * 4 + 2] > 2 * noise[7 * 4]  # July night vs July day
    assert set(lk["l3_code"]) <= set(ref["cats"]["l3_code"])


def test_time_lookup_is_a_monotone_inverse_cdf():
    tl = P.time_lookup()
    for _, g in tl.groupby("time_profile"):
        secs = g.sort_values("time_bucket")["sec_of_day"]
        assert secs.is_monotonic_increasing and secs.between(0, 86399).all()
    grid = tl[tl["time_profile"] == P.time_profile_id("grid")]["sec_of_day"]
    assert grid.between(7 * 3600, 19 * 3600).all()


def test_incidents_are_deterministic_and_take_odd_slots(ref):
    cfg = P.GenConfig(orders=200_000, start=dt.date(2025, 5, 1), days=120, seed=3)
    counts = P.daily_counts(cfg, ref["cal"])
    rate = counts.attrs["rate"]
    a = P.plan_incidents(cfg, rate, ref["streets"], ref["comm"], ref["cats"], ref["cal"])
    b = P.plan_incidents(cfg, rate, ref["streets"], ref["comm"], ref["cats"], ref["cal"])
    assert [i.incident_id for i in a] == [i.incident_id for i in b]
    assert {"policy_change"} <= {i.type for i in a} and len({i.type for i in a}) >= 3
    slots = P.incident_slots(a, counts, ref["comm"], cfg)
    assert (slots["k"] % 2 == 1).all()
    assert not slots.duplicated(["day_num", "stream_id", "k"]).any()
    n = counts.set_index(["day_num", "stream_id"])["n"]
    assert all(r.k < n[(r.day_num, r.stream_id)] for r in slots.itertuples())
    storms = slots[slots["incident_type"] == "duplicate_storm"]
    for _, g in storms.groupby("incident_id"):
        master = g[g["storm_master"]]
        assert len(master) == 1 and (g["storm_master_id"] == master["storm_master_id"].iloc[0]).all()
        assert master["inc_sec"].iloc[0] <= g["inc_sec"].min()


def test_department_behaviour_marks_slow_departments(ref):
    beh = P.department_behaviour(T.departments(), seed=1).set_index("dept_code")
    assert isinstance(beh, pd.DataFrame)
    slow = beh.loc[["D07", "D27", "D02", "D01"], "dept_speed"].mean()
    assert slow > beh.drop(index=["D07", "D27", "D02", "D01"])["dept_speed"].mean()

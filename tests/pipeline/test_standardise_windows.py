"""Repeats and 并单 do not depend on which days a standardise run covers.

One small landing zone over two months is standardised twice, into lakes of their own: day by day, as
the daily DAG does, and as one range, as a backfill does. Both must end in the same silver orders, and
in the right ones:

- a repeat chain P (1 Mar) → N (25 Mar) keeps N's flag and group after a later run (20 Apr) that sees
  N again as a stored neighbour but not P (P is more than 30 days before that run's own orders);
- a chain X1 → X2 → X3 → X4 (25 days apart) is split when X2 is voided by a late event: X3 starts a
  chain of its own and X4, later than the run's window, follows it;
- an online duplicate W of a stored phone order P2, delivered a day late but accepted 5 minutes
  *before* P2, makes P2 the duplicate: P2 gets the 并单 link to W and status 70 together.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from pyspark.testing import assertDataFrameEqual

from jobs.common.catalogue import Catalogue
from tests.pipeline import landing_fixture as LF

LINEAGE = ["etl_time", "ingest_batch_id", "source_file", "content_raw_ref"]
ME, OTHER = "13811112222", "13933334444"
SAME = {"cat": "030101", "community": "990104003002"}


def _phone(oid: str, t: str, phone: str = ME, **kw) -> list[str]:
    return LF.phone_row(oid, t, phone, "陈明", "停水问题反映", **{**SAME, **kw})


# delivery day → phone rows (each delivered on its accept day)
PHONE = {
    "2025-03-01": [_phone("RX-P", "2025-03-01 09:00:00")],
    "2025-03-25": [_phone("RX-N", "2025-03-25 10:00:00")],
    "2025-04-20": [_phone("RX-U", "2025-04-20 09:00:00", community="990104003001")],  # same caller + L3
    "2025-03-02": [_phone("RX-X1", "2025-03-02 09:00:00", OTHER)],
    "2025-03-27": [_phone("RX-X2", "2025-03-27 09:00:00", OTHER)],
    "2025-04-21": [_phone("RX-X3", "2025-04-21 09:00:00", OTHER)],
    "2025-05-16": [_phone("RX-X4", "2025-05-16 09:00:00", OTHER)],
    "2025-03-10": [_phone("RX-P2", "2025-03-10 10:00:00", "13755556666", cat="050101")],
}
# X2 voided, delivered after X4; the online duplicate of P2 delivered the day after P2
EVENTS = {"2025-05-20": [LF.ev("EV-V", "RX-X2", "E16", "2025-05-19 10:00:00")]}
ONLINE = {"2025-03-11": [{
    "msg_id": "WX-W", "source": "wechat", "submit_time": "2025-03-10T09:55:00+08:00",
    "user": {"name": "林立", "mobile": "13755556666", "id_card": None}, "title": "噪声", "content": "夜间施工噪声",
    "type": "03", "category": "050101",
    "location": {"district_code": "990104", "street_code": "990104003", "community_code": "990104003002",
                 "address": None},
    "anonymous": False, "dept": "D20", "path": "01", "urgency": "3"}]}
DAYS = sorted({*PHONE, *EVENTS, *ONLINE})


def _write_landing(root: Path) -> None:
    for day, rows in PHONE.items():
        folder = root / "phone" / f"dt={day}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"hotline_{day.replace('-', '')}_01.csv").write_bytes(LF._csv_bytes(rows))
    for channel, feed, name in (("event", EVENTS, "events_{}_01.jsonl"), ("online", ONLINE, "forms_wechat_{}_01.jsonl")):
        for day, objs in feed.items():
            folder = root / channel / f"dt={day}"
            folder.mkdir(parents=True, exist_ok=True)
            (folder / name.format(day.replace("-", ""))).write_text(
                "".join(json.dumps(o, ensure_ascii=False) + "\n" for o in objs), encoding="utf-8")


@pytest.fixture(scope="module")
def lakes(spark, separate_lake):
    """(day by day, one range) catalogues over the same landing zone."""
    from jobs.ingest import run as ingest
    from jobs.standardise import run as standardise

    out = []
    for name, by_day in (("windows_daily", True), ("windows_range", False)):
        s = separate_lake(name)
        _write_landing(Path(s.landing_uri))
        for day in map(dt.date.fromisoformat, DAYS):
            ingest(day, day, settings=s)
            if by_day:
                standardise(day, day, settings=s)
        if not by_day:
            standardise(dt.date.fromisoformat(DAYS[0]), dt.date.fromisoformat(DAYS[-1]), settings=s)
        out.append(Catalogue(s))
    return out


def _orders(spark, cat) -> dict[str, tuple]:
    rows = cat.read(spark, "dwd_work_order").select(
        "order_id", "repeat_flag", "dup_group_id", "status_code", "merged_into_id", "is_valid").collect()
    return {r.order_id.split("-", 1)[1]: (r.repeat_flag, r.dup_group_id and r.dup_group_id.split("-", 1)[1],
                                          r.status_code, r.merged_into_id and r.merged_into_id.split("-", 1)[1],
                                          r.is_valid) for r in rows}


def test_day_by_day_and_one_range_end_in_the_same_orders(spark, lakes):
    daily, whole = lakes
    assertDataFrameEqual(daily.read(spark, "dwd_work_order").drop(*LINEAGE),
                         whole.read(spark, "dwd_work_order").drop(*LINEAGE))


def test_repeats_and_links_are_right_whichever_days_a_run_covers(spark, lakes):
    for cat in lakes:
        got = _orders(spark, cat)
        # P → N is a chain; U is the same caller and L3 in another community: no repeat
        assert got["RX-P"][:2] == (False, "RX-P") and got["RX-N"][:2] == (True, "RX-P")
        assert got["RX-U"][:2] == (False, None)
        # X2 voided: X1 alone (X3 is 50 days after it), X3 → X4 a chain of their own
        assert got["RX-X2"][2:] == ("80", None, False) and got["RX-X2"][:2] == (False, None)
        assert got["RX-X1"][:2] == (False, None)
        assert got["RX-X3"][:2] == (False, "RX-X3") and got["RX-X4"][:2] == (True, "RX-X3")
        # W (online, 09:55) came first: P2 (phone, 10:00) is its duplicate, linked and 70 together
        assert got["RX-P2"][2:4] == ("70", "WX-W") and got["WX-W"][2:4] != ("70", None)
        assert got["WX-W"][3] is None


def test_a_cross_channel_link_ends_at_a_surviving_valid_order(spark):
    """Phone 08:00, web 09:00, phone 10:00 of one caller and matter: both later ones are duplicates of
    the first (not the second of the web order, itself merged). A voided order is nobody's survivor."""
    from jobs.standardise.assemble import link_cross_channel

    def row(oid, hhmm, channel, caller="h1", voided=False):
        return (oid, caller, "030101", dt.datetime.fromisoformat(f"2025-03-03 {hhmm}:00"), channel, None, [], voided,
                "01")

    df = spark.createDataFrame(
        [row("P1", "08:00", "01"), row("W", "09:00", "02"), row("P2", "10:00", "01"),
         row("Q1", "08:00", "01", "h2", voided=True), row("Q2", "09:00", "02", "h2")],
        "order_id string, caller_phone_hash string, category_l3_code string, accept_time timestamp, "
        "channel_code string, event_merged_into_id string, dq_flags array<string>, voided boolean, "
        "handling_path_code string")
    got = {r.order_id: (r.merged_into_id, "auto_merged" in r.dq_flags) for r in link_cross_channel(df).collect()}
    assert got == {"P1": (None, False), "W": ("P1", True), "P2": ("P1", True), "Q1": (None, False),
                   "Q2": (None, False)}

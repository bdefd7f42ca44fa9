"""Dates for orchestration: a data interval → the days it covers, ranges → chunks, periods to publish.

Pure functions: the day always comes from the data interval (or the backfill's parameters), never
from the clock.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

#: The hotline's day is the Asia/Shanghai calendar day (docs/landing-formats.md).
CITY_TZ = ZoneInfo("Asia/Shanghai")


def interval_days(start: datetime, end: datetime, tz: ZoneInfo = CITY_TZ) -> tuple[date, date]:
    """First and last city-local day of the data interval ``[start, end)``.

    A daily interval ``[2025-03-01 00:00+08, 2025-03-02 00:00+08)`` gives ``(2025-03-01, 2025-03-01)``.
    """
    if start.tzinfo is None or end.tzinfo is None:
        raise ValueError(f"data interval bounds must be timezone-aware, got {start!r} .. {end!r}")
    first = start.astimezone(tz).date()
    last = (end - timedelta(microseconds=1)).astimezone(tz).date() if end > start else first
    # plain dates (Airflow hands over pendulum objects, which Spark's type checks refuse)
    first, last = date(first.year, first.month, first.day), date(last.year, last.month, last.day)
    return first, max(first, last)


def day_interval(day: str | date, tz: ZoneInfo = CITY_TZ) -> tuple[datetime, datetime]:
    """The data interval ``[D 00:00, D+1 00:00)`` (city time) of city day ``D``; inverse of :func:`interval_days`."""
    d = parse_day(day)
    start = datetime(d.year, d.month, d.day, tzinfo=tz)
    return start, start + timedelta(days=1)


def parse_day(value: str | date) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise ValueError(f"'{value}' is not a day in YYYY-MM-DD form") from None


def chunks(date_from: date, date_to: date, chunk_days: int) -> list[tuple[date, date]]:
    """Split ``[date_from, date_to]`` (inclusive) into consecutive ranges of at most ``chunk_days``."""
    if date_to < date_from:
        raise ValueError(f"empty range: {date_from} .. {date_to}")
    if chunk_days < 1:
        raise ValueError(f"chunk_days must be at least 1, got {chunk_days}")
    out, cur = [], date_from
    while cur <= date_to:
        end = min(date_to, cur + timedelta(days=chunk_days - 1))
        out.append((cur, end))
        cur = end + timedelta(days=1)
    return out


def month_chunks(date_from: date, date_to: date) -> list[tuple[date, date]]:
    """Split an inclusive range at calendar-month boundaries."""
    if date_to < date_from:
        raise ValueError(f"empty range: {date_from} .. {date_to}")
    out, cur = [], date_from
    while cur <= date_to:
        nxt = date(cur.year + (cur.month == 12), cur.month % 12 + 1, 1)
        end = min(date_to, nxt - timedelta(days=1))
        out.append((cur, end))
        cur = end + timedelta(days=1)
    return out


def publish_periods(date_from: date, date_to: date) -> list[tuple[str, date, date]]:
    """What to publish once ``[date_from, date_to]`` is processed, one range per period type.

    Every day, plus each ISO week (Mon–Sun) and calendar month whose last day falls in the range: a
    week or month is published when it is complete, once. Complete weeks (months) follow each other,
    so they go as one range: a year's backfill publishes its 52 weeks in one call, not 52.
    """
    out: list[tuple[str, date, date]] = [("day", date_from, date_to)]
    weeks: list[tuple[date, date]] = []
    months: list[tuple[date, date]] = []
    day = date_from
    while day <= date_to:
        if day.isoweekday() == 7:
            weeks.append((day - timedelta(days=6), day))
        if (day + timedelta(days=1)).month != day.month:
            months.append((day.replace(day=1), day))
        day += timedelta(days=1)
    for period, complete in (("week", weeks), ("month", months)):
        if complete:
            out.append((period, complete[0][0], complete[-1][1]))
    return out

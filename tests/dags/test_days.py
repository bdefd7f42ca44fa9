"""Days from data intervals, backfill chunks and publish periods (pure functions)."""

from datetime import UTC, date, datetime

import pytest

from jobs.ops.days import CITY_TZ, chunks, interval_days, month_chunks, publish_periods


def test_daily_interval_is_the_city_day():
    start = datetime(2025, 3, 1, tzinfo=CITY_TZ)
    end = datetime(2025, 3, 2, tzinfo=CITY_TZ)
    assert interval_days(start, end) == (date(2025, 3, 1), date(2025, 3, 1))
    # the same interval expressed in UTC (how Airflow hands it over) is still 1 March in the city
    assert interval_days(start.astimezone(UTC), end.astimezone(UTC)) == (date(2025, 3, 1), date(2025, 3, 1))


def test_weekly_interval_and_naive_bounds():
    assert interval_days(datetime(2025, 3, 3, tzinfo=CITY_TZ), datetime(2025, 3, 10, tzinfo=CITY_TZ)) == (
        date(2025, 3, 3), date(2025, 3, 9))
    with pytest.raises(ValueError, match="timezone-aware"):
        interval_days(datetime(2025, 3, 1), datetime(2025, 3, 2))


def test_chunks_cover_the_range_in_order():
    assert chunks(date(2025, 1, 1), date(2025, 1, 10), 4) == [
        (date(2025, 1, 1), date(2025, 1, 4)), (date(2025, 1, 5), date(2025, 1, 8)),
        (date(2025, 1, 9), date(2025, 1, 10))]
    assert month_chunks(date(2024, 12, 15), date(2025, 2, 3)) == [
        (date(2024, 12, 15), date(2024, 12, 31)), (date(2025, 1, 1), date(2025, 1, 31)),
        (date(2025, 2, 1), date(2025, 2, 3))]
    with pytest.raises(ValueError, match="empty range"):
        chunks(date(2025, 1, 2), date(2025, 1, 1), 3)


def test_backfill_chunks_per_step():
    from jobs.ops.tasks import step_chunks

    year = (date(2025, 11, 29), date(2026, 11, 27))
    # one chunk for the whole range when asked (the demo), months by default
    assert step_chunks("standardise", *year, 365) == [year]
    assert len(step_chunks("standardise", *year, 0)) == 13
    # every dated step follows the same chunks (indicators too: a year in one pass is 8 min here, 13
    # month chunks ~38 min), in time order
    assert step_chunks("indicators", *year, 365) == [year]
    assert step_chunks("indicators", *year, 0) == step_chunks("standardise", *year, 0)
    assert step_chunks("indicators", date(2026, 1, 10), date(2026, 1, 20), 5) == [
        (date(2026, 1, 10), date(2026, 1, 14)), (date(2026, 1, 15), date(2026, 1, 19)),
        (date(2026, 1, 20), date(2026, 1, 20))]
    # the PII scan has no dates: one scan after the range
    assert step_chunks("pii_scan", *year, 0) == [year]


def test_publish_periods_complete_weeks_and_months_once():
    # 2025-03-24 is a Monday; 30 March a Sunday; 31 March ends the month
    got = publish_periods(date(2025, 3, 28), date(2025, 4, 1))
    assert got == [("day", date(2025, 3, 28), date(2025, 4, 1)),
                   ("week", date(2025, 3, 24), date(2025, 3, 30)),
                   ("month", date(2025, 3, 1), date(2025, 3, 31))]
    assert publish_periods(date(2025, 3, 5), date(2025, 3, 5)) == [("day", date(2025, 3, 5), date(2025, 3, 5))]
    # a year: the complete weeks and months each as one range (the week ending Sunday 5 January began in 2024)
    assert publish_periods(date(2025, 1, 1), date(2025, 12, 31)) == [
        ("day", date(2025, 1, 1), date(2025, 12, 31)), ("week", date(2024, 12, 30), date(2025, 12, 28)),
        ("month", date(2025, 1, 1), date(2025, 12, 31))]


def test_day_interval_is_the_city_day():
    from jobs.ops.days import day_interval

    start, end = day_interval("2026-11-29")
    assert (start.isoformat(), end.isoformat()) == ("2026-11-29T00:00:00+08:00", "2026-11-30T00:00:00+08:00")
    assert interval_days(start, end) == (date(2026, 11, 29), date(2026, 11, 29))


def test_a_step_summary_with_nan_becomes_json_the_api_accepts():
    """A day without incidents has recall NaN; Airflow's API refuses NaN in a task's return value."""
    import json

    from jobs.ops.tasks import _json_safe

    got = _json_safe({"evaluation": {"recall": float("nan"), "lead": [1.5, float("inf")]}, "rows": 1})
    assert got == {"evaluation": {"recall": None, "lead": [1.5, None]}, "rows": 1}
    json.dumps(got, allow_nan=False)  # strict JSON: raises on NaN/inf

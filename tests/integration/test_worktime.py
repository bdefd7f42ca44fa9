"""Working-day deadlines against the real calendar table."""

import datetime as dt

from pyspark.sql import Row

from jobs.common.worktime import add_deadline


def test_deadlines_in_each_unit(spark, catalogue, reference_loaded):
    cal = catalogue.read(spark, "ref_calendar")
    rows = [
        # Friday evening + 2 working days -> end of Tuesday
        Row(id="fri", start=dt.datetime(2024, 3, 1, 18, 30), value=2.0, unit="working_days"),
        # accepted during the 2024 Spring Festival (2/10-2/17); 2/18 (Sunday) is a make-up working day
        Row(id="sf", start=dt.datetime(2024, 2, 12, 10, 0), value=1.0, unit="working_days"),
        # National Day 2025 (10/1-10/8), 10/11 (Saturday) worked
        Row(id="nd", start=dt.datetime(2025, 9, 30, 9, 0), value=2.0, unit="working_days"),
        Row(id="h2", start=dt.datetime(2025, 9, 30, 23, 0), value=2.0, unit="natural_hours"),
        Row(id="h05", start=dt.datetime(2025, 9, 30, 23, 0), value=0.5, unit="natural_hours"),
        Row(id="d7", start=dt.datetime(2025, 9, 30, 9, 0), value=7.0, unit="natural_days"),
    ]
    out = {r.id: r.due for r in add_deadline(spark.createDataFrame(rows), cal, "start", "value", "unit", "due").collect()}
    assert out == {
        "fri": dt.datetime(2024, 3, 5, 23, 59, 59),
        "sf": dt.datetime(2024, 2, 18, 23, 59, 59),
        "nd": dt.datetime(2025, 10, 10, 23, 59, 59),
        "h2": dt.datetime(2025, 10, 1, 1, 0),
        "h05": dt.datetime(2025, 9, 30, 23, 30),
        "d7": dt.datetime(2025, 10, 7, 9, 0),
    }


def test_deadlines_into_the_provisional_year_are_set_and_flagged(spark, catalogue, reference_loaded):
    """Around New Year the deadlines of December's orders run into the year after the last holiday
    notice: they are counted on the provisional calendar and flagged, natural-time ones are not."""
    from jobs.reference.tables import holidays
    from jobs.standardise.assemble import with_sla

    year = max(holidays())  # the last year with a notice; the next one is provisional
    cal = catalogue.read(spark, "ref_calendar")
    assert cal.where(f"year = {year + 1}").count() > 0, "the test profile's calendar must reach the provisional year"

    def order(oid, accept, appeal, urgency, ext=0, flags=()):
        return Row(order_id=oid, accept_time=accept, accept_date=accept.date(), appeal_type_code=appeal,
                   urgency_code=urgency, extension_days_total=ext, dq_flags=list(flags))

    rows = [
        order("dec", dt.datetime(year, 12, 22, 10), "03", "3", flags=["x"]),  # 15 working days → January
        order("nov", dt.datetime(year, 11, 2, 10), "03", "3"),                  # ends in November
        order("ext", dt.datetime(year, 12, 1, 10), "02", "3", ext=20),          # extended into January
        order("hours", dt.datetime(year, 12, 31, 23), "01", "1"),                # 2 natural hours → 1 January
    ]
    schema = ("order_id string, accept_time timestamp, accept_date date, appeal_type_code string, "
              "urgency_code string, extension_days_total int, dq_flags array<string>")
    out = with_sla(spark.createDataFrame(rows, schema), catalogue.read(spark, "ref_sla_rule"), cal)
    got = {r.order_id: (r.due_time, sorted(r.dq_flags)) for r in out.collect()}
    provisional_days = {r.date for r in cal.where("is_provisional").select("date").collect()}
    assert got["dec"][0].date() in provisional_days and got["dec"][1] == ["due_time_provisional", "x"]
    assert got["ext"][0].date() in provisional_days and got["ext"][1] == ["due_time_provisional"]
    assert got["nov"][0].year == year and got["nov"][1] == []
    assert got["hours"][0] == dt.datetime(year + 1, 1, 1, 1, 0) and got["hours"][1] == []
    # the 15th working day after 22 December, counted day by day (the provisional 1 January is off)
    workdays = {r.date for r in cal.where("is_workday").select("date").collect()}
    d, n = dt.date(year, 12, 22), 0
    while n < 15:
        d += dt.timedelta(days=1)
        n += d in workdays
    assert dt.date(year + 1, 1, 1) not in workdays and got["dec"][0] == dt.datetime.combine(d, dt.time(23, 59, 59))

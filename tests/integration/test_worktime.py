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

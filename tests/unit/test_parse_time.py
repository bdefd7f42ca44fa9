"""Channel time strings → timestamps: what ingest accepts and what it sends to quarantine as bad_time."""

from __future__ import annotations

import pytest
from pyspark.sql import functions as F

from jobs.ingest.transform import parse_time

POSTED = 1740788132  # 2025-03-01 00:15:32 UTC = 08:15:32 in Shanghai


@pytest.mark.parametrize(("raw", "expected"), [
    (str(POSTED * 1000 + 250), POSTED + 0.25),  # milliseconds, as the format says
    (f" {POSTED * 1000} ", float(POSTED)),  # padded
    (str(POSTED), float(POSTED)),  # seconds, as some platforms send: not 1970
    (str(POSTED * 100), None),  # 12 digits: neither unit
    (str(POSTED * 10000), None),  # 14 digits
    ("NaN", None),
    ("", None),
])
def test_opinion_publish_time_is_milliseconds_or_seconds(spark, raw, expected):
    row = spark.createDataFrame([(raw,)], "t string").select(
        parse_time(F.col("t"), "epoch_ms").cast("double").alias("epoch")).first()
    assert row.epoch == expected


def test_local_time_formats_are_shanghai_time(spark):
    row = spark.createDataFrame([("2025-03-01 08:15:32", "2025/03/01 08:15", "2025-03-01T08:15:32+08:00")],
                                "a string, b string, c string").select(
        parse_time(F.col("a"), "yyyy-MM-dd HH:mm:ss").cast("long").alias("a"),
        parse_time(F.col("b"), "yyyy/MM/dd HH:mm").cast("long").alias("b"),
        parse_time(F.col("c"), "iso_offset").cast("long").alias("c")).first()
    assert (row.a, row.b, row.c) == (POSTED, POSTED - 32, POSTED)

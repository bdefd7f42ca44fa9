"""Generated identifiers and numeric evidence never look like personal data to the PII scanner.

Found on the demo's 1 M-order year: 16 hex characters of a content hash are now and then all digits,
and a float's 16 fraction digits start with 3–6 just as often — the scan then stopped the run on
batch ids, warning ids and warning evidence. The ids now start their hash part with a letter and the
evidence is rounded; these tests use hashes that are all digits on purpose.
"""

from __future__ import annotations

import datetime as dt

from pyspark.sql import functions as F

from jobs.ingest.transform import batch_id, batch_id_col
from jobs.privacy import scan_frame

ALL_DIGIT_HASHES = ["6222020200112233" + "ab" * 24, "5555666677778888" + "cd" * 24, "4000123412341234" + "ef" * 24]


def test_batch_ids_of_all_digit_hashes_are_not_bank_cards(spark):
    day = dt.date(2026, 3, 1)
    df = spark.createDataFrame([(h, day) for h in ALL_DIGIT_HASHES], "file_hash string, dt date")
    ids = df.select(batch_id_col("phone").alias("batch_id"),
                    F.concat_ws("-", F.lit("phone"), F.lit("20260301"), F.substring("file_hash", 1, 16)).alias("old"))
    # the scanner does fire on the old form: the test can fail
    assert scan_frame(ids, ["old"])["old"]["bank_card"] == 3
    assert scan_frame(ids, ["batch_id"]) == {}
    # Python and Spark agree on the id (the ingest log and the bronze rows join on it)
    assert sorted(r.batch_id for r in ids.collect()) == sorted(batch_id("phone", day, h) for h in ALL_DIGIT_HASHES)


def test_warning_ids_and_evidence_pass_the_scan(spark):
    from models.warning.job import with_evidence

    warnings = spark.createDataFrame(
        [(dt.date(2026, 3, 1), "burst", "street_l3", "110101001|0501", 12.0, 3.0, 1.7320508075688772,
          5.196152422706632, 9.5, [1.0, 2.0], "ep1", "new")],
        "warn_date date, kind string, level string, series_key string, count double, baseline double, "
        "sigma double, z double, score double, recent14 array<double>, episode_id string, status string")
    orders = spark.createDataFrame(
        [(dt.date(2026, 3, 1), dt.datetime(2026, 3, 1, 9), "110101001", "0501", "路灯不亮", "路灯")],
        "accept_date date, accept_time timestamp, street_code string, category_l3_code string, "
        "content_redacted string, title string")
    out = with_evidence(warnings, orders, ("street_l3",))
    raw = warnings.select(F.to_json(F.struct("sigma", "z")).alias("unrounded"))
    # what the evidence looked like before: z's 15 fraction digits read as a 15-digit ID number
    assert scan_frame(raw)["unrounded"] == {"id_card": 1}
    assert scan_frame(out) == {}
    row = out.first()
    assert row.warning_id.startswith("w") and len(row.warning_id) == 17
    assert '"sigma":1.7321' in row.evidence_json and row.examples == ["路灯不亮"]

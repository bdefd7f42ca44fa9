"""Which landing files ingest reads and which it skips as re-deliveries (pure, no Spark)."""

from __future__ import annotations

import datetime as dt

from jobs.ingest import LandingFile, classify, in_delivery_order

DAY = dt.date(2025, 3, 12)
T0 = dt.datetime(2025, 3, 12, 23, 0)


def test_the_first_delivered_of_identical_files_is_ingested_and_the_renamed_copy_skipped():
    original = LandingFile("landing/event/dt=2025-03-12/events_09.jsonl", "h1", DAY, T0)
    copy = LandingFile("landing/event/dt=2025-03-12/events_09(1).jsonl", "h1", DAY, T0 + dt.timedelta(hours=1))
    other = LandingFile("landing/event/dt=2025-03-12/events_10.jsonl", "h2", DAY, T0 + dt.timedelta(minutes=5))
    ordered = in_delivery_order([copy, other, original])
    assert ordered == [original, other, copy]  # by name, the copy would sort first
    to_ingest, skipped = classify(ordered, known_paths=set(), known_hashes={})
    assert to_ingest == [original, other] and skipped == [(copy, original.path)]


def test_a_file_seen_before_is_not_read_again_and_its_content_under_a_new_day_is_a_duplicate():
    old = LandingFile("landing/phone/dt=2025-03-11/hotline_01.csv", "h1", DAY - dt.timedelta(days=1), T0)
    again = LandingFile("landing/phone/dt=2025-03-12/hotline_01.csv", "h1", DAY, T0)
    to_ingest, skipped = classify(in_delivery_order([again, old]), known_paths={old.path},
                                  known_hashes={"h1": old.path})
    assert to_ingest == [] and skipped == [(again, old.path)]

"""The wait of minsheng_models / minsheng_weekly: a day counts as done when its publish manifest exists."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime

from jobs.ops.days import CITY_TZ


def test_interval_is_ready_only_when_every_day_is_published(settings, s3_endpoint):
    from jobs.common import s3
    from jobs.ops.published import manifest_key, published_for_interval

    cfg = dataclasses.replace(settings, s3={**settings.s3, "endpoint_url": s3_endpoint,
                                            "publish_bucket": "sensor-test-publish"})
    client = s3.client(cfg)
    week = (datetime(2025, 3, 3, tzinfo=CITY_TZ), datetime(2025, 3, 10, tzinfo=CITY_TZ))
    # no bucket yet: nothing is published, and that is an answer, not an error
    ok, days = published_for_interval(*week, settings=cfg)
    assert ok is False and len(days) == 7 and not any(days.values())

    s3.ensure_bucket(client, "sensor-test-publish")
    for d in range(3, 9):  # Monday .. Saturday
        client.put_object(Bucket="sensor-test-publish", Key=manifest_key(date(2025, 3, d)), Body=b"{}")
    # a file of Sunday's run that is not its manifest does not count: the manifest is written last
    client.put_object(Bucket="sensor-test-publish", Key="indicators/period=day/2025-03-09/run=x/indicators.json",
                      Body=b"[]")
    ok, days = published_for_interval(*week, settings=cfg)
    assert ok is False and days["2025-03-09"] is False and days["2025-03-08"] is True

    client.put_object(Bucket="sensor-test-publish", Key=manifest_key(date(2025, 3, 9)), Body=b"{}")
    ok, days = published_for_interval(*week, settings=cfg)
    assert ok is True and sorted(days) == [f"2025-03-0{d}" for d in range(3, 10)]

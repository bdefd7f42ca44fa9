"""Has a day been processed and published? Looks for the day's publish manifest, without Spark.

``minsheng_models`` and ``minsheng_weekly`` wait on it: the daily publish writes ``indicators/period=day/<D>/_manifest.json``
last, after standardise, the quality gate, indicators, scoring, warnings and the PII scan, so its
presence means every table the weekly report reads holds day D. Both ``minsheng_daily`` and
``minsheng_backfill`` publish, so the wait works for days that came through either.
"""

from __future__ import annotations

from datetime import date, timedelta

from jobs.common.config import Settings, load_settings


def manifest_key(day: date) -> str:
    return f"indicators/period=day/{day.isoformat()}/_manifest.json"


def day_published(day: date, settings: Settings | None = None, client=None) -> bool:
    """True when the publish bucket holds the day's indicator manifest."""
    from botocore.exceptions import ClientError

    from jobs.common import s3

    settings = settings or load_settings()
    client = client or s3.client(settings)
    bucket = s3.publish_bucket(settings)
    try:
        client.head_object(Bucket=bucket, Key=manifest_key(day))
    except ClientError as exc:
        if str(exc.response.get("Error", {}).get("Code", "")) in ("404", "NoSuchKey", "NotFound", "NoSuchBucket"):
            return False
        raise
    return True


def published_for_interval(data_interval_start, data_interval_end, settings: Settings | None = None
                           ) -> tuple[bool, dict[str, bool]]:
    """(every day of the data interval is published, day → published)."""
    from jobs.common import s3
    from jobs.ops.days import interval_days

    settings = settings or load_settings()
    client = s3.client(settings)
    first, last = interval_days(data_interval_start, data_interval_end)
    days, day = {}, first
    while day <= last:
        days[day.isoformat()] = day_published(day, settings, client)
        day += timedelta(days=1)
    return all(days.values()), days

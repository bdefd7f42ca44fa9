"""Has a day's delivery arrived? Counts the files under ``<channel>/dt=D/`` without Spark.

Local folders are listed directly; ``s3a://`` / ``s3://`` locations through boto3 (endpoint from the
profile's ``s3.endpoint_url``).
"""

from __future__ import annotations

import os
from datetime import date

from jobs.common.catalogue import Catalogue
from jobs.common.config import Settings, load_settings
from jobs.ops.plan import CHANNELS

#: Channels that must have delivered before the day is processed: the hotline's own nightly export
#: and its event feed always deliver; web, grid and opinion may be silent on a quiet day.
#: ``MINSHENG_REQUIRED_CHANNELS`` (comma-separated) overrides.
DEFAULT_REQUIRED = ("phone", "event")


def required_channels() -> tuple[str, ...]:
    env = os.environ.get("MINSHENG_REQUIRED_CHANNELS", "").strip()
    return tuple(c.strip() for c in env.split(",") if c.strip()) if env else DEFAULT_REQUIRED


def _count_s3(uri: str, settings: Settings) -> int:
    import boto3

    bucket, _, prefix = uri.split("://", 1)[1].partition("/")
    client = boto3.client("s3", endpoint_url=settings.s3.get("endpoint_url") or None,
                          region_name=settings.s3.get("region"))
    pages = client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix.rstrip("/") + "/")
    return sum(1 for page in pages for obj in page.get("Contents", []) if not obj["Key"].endswith("/"))


def _count_local(path: str) -> int:
    path = path.removeprefix("file://")
    if not os.path.isdir(path):
        return 0
    return sum(1 for e in os.scandir(path) if e.is_file() and not e.name.startswith((".", "_")))


def delivered(day: date, settings: Settings | None = None) -> dict[str, int]:
    """Channel → number of delivery files for ``day``."""
    settings = settings or load_settings()
    cat = Catalogue(settings)
    out = {}
    for ch in CHANNELS:
        uri = f"{cat.location(f'landing_{ch}')}/dt={day.isoformat()}"
        out[ch] = _count_s3(uri, settings) if uri.startswith(("s3a://", "s3://")) else _count_local(uri)
    return out


def ready(day: date, settings: Settings | None = None) -> tuple[bool, dict[str, int]]:
    """(every required channel has delivered, files per channel)."""
    files = delivered(day, settings)
    return all(files.get(ch, 0) > 0 for ch in required_channels()), files


def ready_for_interval(data_interval_start, data_interval_end, settings: Settings | None = None
                       ) -> tuple[bool, dict[str, dict[str, int]]]:
    """``ready`` for every day of an Airflow data interval; the xcom value maps day → files per channel."""
    from datetime import timedelta

    from jobs.ops.days import interval_days

    first, last = interval_days(data_interval_start, data_interval_end)
    files, ok, day = {}, True, first
    while day <= last:
        day_ok, files[day.isoformat()] = ready(day, settings)
        ok = ok and day_ok
        day += timedelta(days=1)
    return ok, files

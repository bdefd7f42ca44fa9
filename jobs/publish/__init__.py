"""Publish → S3: gold indicators, 体征 and department share extracts, with manifests and an audit log."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from jobs.common.config import Settings


def run(period: str, date_from: dt.date, date_to: dt.date, settings: Settings | None = None,
        table_scan: bool = True) -> dict[str, Any]:
    """See :func:`jobs.publish.job.run` (imported lazily: the CLI stays light)."""
    from jobs.publish.job import run as _run

    return _run(period, date_from, date_to, settings, table_scan=table_scan)

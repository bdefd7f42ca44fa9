"""Indicators → gold: §7(c) B–G formulas from one registry (see ``registry.py``)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from jobs.common.config import Settings


def run(date_from: dt.date, date_to: dt.date, settings: Settings | None = None) -> dict[str, Any]:
    """See :func:`jobs.indicators.job.run` (imported lazily: the CLI stays light)."""
    from jobs.indicators.job import run as _run

    return _run(date_from, date_to, settings)

"""Pipeline fixtures: the contract landing fixture written once and ingested once per test run."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from tests.pipeline import landing_fixture as LF

DAY1, DAY2 = dt.date.fromisoformat(LF.D1), dt.date.fromisoformat(LF.D2)


@pytest.fixture(scope="session")
def landing_written(settings):
    LF.write_landing(Path(settings.landing_uri))
    return Path(settings.landing_uri)


@pytest.fixture(scope="session")
def ingested(settings, spark, reference_loaded, landing_written):
    """The fixture ingested for both days (first run's summary)."""
    from jobs.ingest import run

    return run(DAY1, DAY2, settings=settings)


@pytest.fixture(scope="session")
def standardised(settings, ingested):
    from jobs.standardise import run

    return run(DAY1, DAY2, settings=settings)

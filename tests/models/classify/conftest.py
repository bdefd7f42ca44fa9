"""Fixtures for the classifier tests: a silver-shaped dwd_work_order in the test lake and a private MLflow store."""

from __future__ import annotations

import dataclasses
from datetime import date

import pytest

from tests.models.classify.silver_factory import ensure_silver_spec, silver_frame

#: small but learnable: three months, the last one is the evaluation month
SILVER_START = date(2026, 1, 1)
SILVER_DAYS = 90
SILVER_ROWS = 1600
#: small model settings so the tests stay quick on two shared cores
FAST_PARAMS = {"vocab_size": 3000, "max_iter": 10}


@pytest.fixture(scope="session")
def silver_spec():
    mp = pytest.MonkeyPatch()
    ensure_silver_spec(mp)
    yield
    mp.undo()


@pytest.fixture(scope="session")
def clf_settings(separate_lake, test_root):
    """Settings for a lake of the classifier tests' own (its silver stand-in must not meet the pipeline
    tests' real silver) with MLflow pointed at a SQLite store and artifact root inside the test folder."""
    store = test_root / "mlflow"
    store.mkdir(exist_ok=True)
    return dataclasses.replace(separate_lake("classify"), mlflow={"tracking_uri": f"sqlite:///{store}/mlflow.db",
                                                                  "artifact_root": str(store / "artifacts")})


@pytest.fixture(scope="session")
def silver_loaded(spark, catalogue, silver_spec, clf_settings):
    """Write the silver stand-in through the catalogue; returns (DataFrame, Delta version)."""
    from jobs.common import delta
    from jobs.common.catalogue import Catalogue

    cat = Catalogue(clf_settings)
    df = silver_frame(spark, SILVER_ROWS, SILVER_START, SILVER_DAYS)
    delta.overwrite(df, cat, "dwd_work_order")
    return df, delta.current_version(spark, cat, "dwd_work_order")


@pytest.fixture(scope="session")
def trained(silver_loaded, clf_settings):
    """All four targets trained once (two candidates each), as the monthly DAG would."""
    from models.classify import train

    return train.run(candidates=("lr_char_tfidf", "nb_char_tfidf"), params=FAST_PARAMS, max_per_class=300,
                     settings=clf_settings)

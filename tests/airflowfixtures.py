"""Airflow for the tests that run DAGs: a private AIRFLOW_HOME with a migrated SQLite metadata DB.

Registered in ``tests/conftest.py`` through ``pytest_plugins`` (so the DAG tests and the cluster tests
share it). Airflow reads its configuration when first imported, so the ``AIRFLOW__*`` variables are
set here, when the plugin loads, before any test module imports airflow.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DAGS = ROOT / "dags"
_HOME = Path(tempfile.mkdtemp(prefix="minsheng-airflow-"))
atexit.register(shutil.rmtree, _HOME, True)
os.environ.update({
    "AIRFLOW_HOME": str(_HOME),
    "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS),
    "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
    "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{_HOME}/airflow.db",
    "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
    "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(_HOME / "logs"),
    "AIRFLOW__API_AUTH__JWT_SECRET": "minsheng-tests-only",
})
os.environ.setdefault("MINSHENG_AIRFLOW_EXECUTION", "local")


@pytest.fixture(scope="session")
def airflow_db():
    """The migrated metadata DB with minsheng's pools (what ``infra/airflow.sh init`` does)."""
    from jobs.ops.airflow_init import ensure_pools, migrate_if_needed

    migrate_if_needed()
    ensure_pools()
    return _HOME


@pytest.fixture(scope="session")
def dagbag(airflow_db):
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(DAGS))

"""The DAG tests' Airflow fixtures (``airflow_db``, ``dagbag``) live in ``tests/airflowfixtures.py``,
shared with the cluster tests."""

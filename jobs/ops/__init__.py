"""Operations: what the orchestration needs besides the steps themselves.

Light on purpose (no pyspark at import time): Airflow parses DAG files that import from here.

- ``plan``     — channels, steps, Delta writer pools and assets (pure, read by DAG files);
- ``days``     — data interval → days, ranges → chunks, periods to publish (pure);
- ``tasks``    — the one call each Airflow task makes: run a step for an interval or a range;
- ``landing``  — has a day's delivery arrived? (local folder or S3, no Spark);
- ``failures`` — the failure callback writing ``ops_task_failure``;
- ``status``   — ``minsheng status``: a summary of the lake.
"""

"""CI's cluster check: one day of the pipeline through the standalone cluster, the lake on s3a:// (moto on
loopback), equals the same day run with the local profile — every gold table, row for row.

Both ways a city submits to its cluster are used: the reference data and ingest go through
``infra/spark-submit.sh`` (client mode), standardise and indicators through Airflow — ``minsheng_backfill`` parsed
in the cluster profile, where its step tasks are ``SparkSubmitOperator``s, run with ``dag.test()`` over
the ``minsheng_spark`` connection to the same master (the tasks done by spark-submit above, and the
ones after indicators, marked successful)."""

from __future__ import annotations

import datetime as dt
import os
import sys
from pathlib import Path

import pytest
from pyspark.testing import assertDataFrameEqual

import jobs.generate.run as generate
import jobs.indicators as indicators
import jobs.ingest as ingest
import jobs.standardise as standardise
from jobs.common import s3
from jobs.common.catalogue import Catalogue
from tests.cluster.conftest import cluster_env, open_bucket_for, submit

ROOT = Path(__file__).resolve().parents[2]
DAY = dt.date(2025, 3, 3)
# Re-deliveries can land one day after the generated day: ingest and standardise take both days.
NEXT = DAY + dt.timedelta(days=1)


@pytest.fixture(scope="module")
def local_day(spark, separate_lake):
    """The day generated into a landing folder and run through ingest → standardise → indicators locally."""
    s = separate_lake("cluster-local")
    generate.run(orders=300, start=DAY, days=1, seed=11, settings=s)
    ingest.run(DAY, NEXT, settings=s)
    standardise.run(DAY, NEXT, settings=s)
    indicators.run(DAY, NEXT, settings=s)
    return s, Path(s.landing_uri)


def _upload(folder: Path, bucket: str, prefix: str, settings) -> int:
    client = s3.client(settings)
    files = [p for p in sorted(folder.rglob("*")) if p.is_file()]
    for path in files:
        client.upload_file(str(path), bucket, f"{prefix}/{path.relative_to(folder).as_posix()}")
    return len(files)


def test_one_day_through_the_cluster_on_s3_equals_the_local_run(
    spark_cluster, cluster_bucket, s3_endpoint, s3_settings, local_day, spark, airflow_db, monkeypatch
):
    local_settings, landing = local_day
    assert _upload(landing, cluster_bucket, "landing", s3_settings) > 0
    env = cluster_env(spark_cluster, cluster_bucket, s3_endpoint)
    listed = s3.client(s3_settings).list_objects_v2(Bucket=cluster_bucket, Prefix="lake/ref/ref_calendar/_delta_log/")
    if not listed.get("KeyCount"):
        submit(env, "reference", "load")
    day, nxt = DAY.isoformat(), NEXT.isoformat()
    submit(env, "ingest", "--from", day, "--to", nxt)

    # Airflow's way: the environment of a worker of the cluster profile, the connection to the master
    for key in ("MINSHENG_PROFILE", "MINSHENG_SPARK_MASTER", "MINSHENG_LAKE_URI", "MINSHENG_LANDING_URI",
                "MINSHENG_GROUND_TRUTH_URI", "MINSHENG_WORK_URI", "MINSHENG_S3_ENDPOINT_URL", "MINSHENG_SPARK_CONF",
                "PYSPARK_PYTHON"):
        monkeypatch.setenv(key, env[key])
    monkeypatch.setenv("MINSHENG_AIRFLOW_EXECUTION", "spark-submit")
    monkeypatch.setenv("PATH", f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    from airflow.dag_processing.dagbag import DagBag

    from jobs.ops.airflow_init import ensure_spark_connection

    ensure_spark_connection(spark_cluster.master_url)  # what `infra/airflow.sh init` does for a city

    dag = DagBag(dag_folder=str(ROOT / "dags")).get_dag("minsheng_backfill")  # parsed in this environment
    kinds = {t.task_id: type(t).__name__ for t in dag.tasks}
    assert kinds["standardise"] == kinds["indicators"] == "SparkSubmitOperator", kinds
    dr = dag.test(run_conf={"date_from": day, "date_to": nxt, "chunk_days": 0},
                  mark_success_pattern=r"^(ingest_.*|quality|score|warnings|pii_scan|publish)$")
    states = {ti.task_id: str(ti.state) for ti in dr.get_task_instances()}
    assert str(dr.state) == "success", states
    assert states["standardise"] == states["indicators"] == "success", states

    open_bucket_for(spark, cluster_bucket, s3_endpoint)
    local = Catalogue(local_settings)
    gold = [n for n in local.names("gold") if local.exists(spark, n)]
    assert gold, "the local run wrote no gold table"
    for name in gold:
        on_cluster = spark.read.format("delta").load(f"s3a://{cluster_bucket}/lake/gold/{name}")
        expected = local.read(spark, name)
        assert expected.count() > 0 or name != "ads_hotline_indicator", "no indicator rows for the day"
        assertDataFrameEqual(on_cluster, expected)

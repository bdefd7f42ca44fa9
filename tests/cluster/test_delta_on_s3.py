"""A real step submitted to the standalone cluster writes and reads Delta tables on s3a:// (moto on loopback),
and the tables equal the ones the local profile writes. (Reading through the cluster: the pipeline test,
whose steps read landing files and Delta tables from S3 on the executors.)"""

from __future__ import annotations

import json

from pyspark.testing import assertDataFrameEqual

from jobs.common import s3
from tests.cluster.conftest import cluster_env, open_bucket_for, submit_start, submit_wait


def _summary(stdout: str) -> dict:
    return json.loads(stdout[stdout.index("{"): stdout.rindex("}") + 1])


def test_reference_load_on_the_cluster_writes_delta_on_s3_equal_to_local(
    spark_cluster, cluster_bucket, s3_endpoint, s3_settings, catalogue, request
):
    env = cluster_env(spark_cluster, cluster_bucket, s3_endpoint)
    running = submit_start(env, "reference", "load")
    # The local load (the session's test lake) meanwhile, in this process.
    spark = request.getfixturevalue("spark")
    request.getfixturevalue("reference_loaded")
    first = _summary(submit_wait(running).stdout)
    names = catalogue.names("ref")
    assert first == dict.fromkeys(names, "created")

    # The application really ran on the standalone master, with executors on the workers.
    apps = spark_cluster.master_state()["completedapps"]
    assert any(a["name"] == "minsheng-reference" for a in apps), [a["name"] for a in apps]

    # The Delta log is on S3 (written through s3a by the driver, data files by the executors).
    keys = {o["Key"] for o in s3.client(s3_settings).list_objects_v2(
        Bucket=cluster_bucket, Prefix="lake/ref/ref_calendar/")["Contents"]}
    assert "lake/ref/ref_calendar/_delta_log/00000000000000000000.json" in keys
    assert any(k.endswith(".parquet") for k in keys)

    open_bucket_for(spark, cluster_bucket, s3_endpoint)
    for name in names:
        on_s3 = spark.read.format("delta").load(f"s3a://{cluster_bucket}/lake/ref/{name}")
        assertDataFrameEqual(on_s3, catalogue.read(spark, name))

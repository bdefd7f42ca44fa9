"""Fixtures for the cluster tests: a real Spark standalone cluster on loopback (infra/spark-cluster.sh)
and a bucket on the session's moto S3 server, plus helpers to submit `minsheng` steps to the cluster
(infra/spark-submit.sh, client mode, cluster profile) and to read the S3 lake from the local session.

Every Spark job on the cluster runs in a separate driver process started by spark-submit, exactly as a
city runs it; the test process keeps its own local session for the comparison.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CLUSTER_SH = ROOT / "infra" / "spark-cluster.sh"
SUBMIT_SH = ROOT / "infra" / "spark-submit.sh"
WORKERS = 2
WORKER_CORES = 1
WORKER_MEMORY_MB = 1024


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class StandaloneCluster:
    """A running standalone cluster started by infra/spark-cluster.sh."""

    master_url: str
    ui_port: int
    state_dir: Path
    log_dir: Path
    env: dict[str, str] = field(repr=False)

    def script(self, action: str, check: bool = True) -> subprocess.CompletedProcess:
        return subprocess.run(["bash", str(CLUSTER_SH), action], env=self.env, capture_output=True,
                              text=True, check=check, timeout=300)

    def master_state(self) -> dict:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.ui_port}/json/", timeout=10) as resp:
            return json.load(resp)

    def pids(self) -> dict[str, int]:
        """PIDs of the Spark daemons (the watchdog excluded)."""
        return {p.stem: int(p.read_text()) for p in sorted((self.state_dir / "run").glob("*.pid"))
                if p.stem != "watchdog"}


@pytest.fixture(scope="session")
def spark_cluster(tmp_path_factory) -> StandaloneCluster:
    """Master + two workers (1 core, 1 GiB each) on free loopback ports; stopped at the end by PID."""
    base = tmp_path_factory.mktemp("spark-cluster")
    master_port, ui_port = _free_port(), _free_port()
    env = {
        **os.environ,
        "SPARK_CLUSTER_WORKERS": str(WORKERS),
        "SPARK_WORKER_CORES": str(WORKER_CORES),
        "SPARK_WORKER_MEMORY": f"{WORKER_MEMORY_MB}m",
        "SPARK_MASTER_PORT": str(master_port),
        # worker i takes ui_port + i; free ports are rarely adjacent-taken, and Spark retries on a clash
        "SPARK_MASTER_WEBUI_PORT": str(ui_port),
        "SPARK_CLUSTER_STATE_DIR": str(base / "state"),
        "SPARK_CLUSTER_LOG_DIR": str(base / "log"),
        "PYSPARK_PYTHON": sys.executable,
        # If this test process dies without its teardown (killed by a timeout), the cluster goes too.
        "SPARK_CLUSTER_OWNER_PID": str(os.getpid()),
    }
    cluster = StandaloneCluster(f"spark://127.0.0.1:{master_port}", ui_port, base / "state", base / "log", env)
    try:
        cluster.script("start")
        yield cluster
    finally:
        cluster.script("stop", check=False)


@pytest.fixture(scope="session")
def cluster_bucket(s3_settings) -> str:
    """A fresh bucket on the session's moto server for the cluster's lake."""
    from jobs.common import s3

    name = f"minsheng-cluster-{uuid.uuid4().hex[:8]}"
    s3.client(s3_settings).create_bucket(Bucket=name)
    return name


def cluster_env(cluster: StandaloneCluster, bucket: str, endpoint: str, **extra: str) -> dict[str, str]:
    """Environment of a submitted step: cluster profile, lake/landing on s3a://bucket, small sizing."""
    env = {**os.environ}
    env.update({
        "MINSHENG_PROFILE": "cluster",
        "MINSHENG_SPARK_MASTER": cluster.master_url,
        "MINSHENG_LAKE_URI": f"s3a://{bucket}/lake",
        "MINSHENG_LANDING_URI": f"s3a://{bucket}/landing",
        "MINSHENG_GROUND_TRUTH_URI": f"s3a://{bucket}/ground_truth",
        "MINSHENG_WORK_URI": f"s3a://{bucket}/tmp",
        "MINSHENG_S3_ENDPOINT_URL": endpoint,
        # Small here: two executors of 1 core; few shuffle partitions for a day of test data.
        "MINSHENG_SPARK_CONF": (
            "spark.sql.shuffle.partitions=2;spark.default.parallelism=2;spark.ui.enabled=false;"
            "spark.databricks.delta.snapshotPartitions=2"
        ),
        "SPARK_DRIVER_MEMORY": "1g",
        "SPARK_EXECUTOR_MEMORY": "768m",
        "SPARK_TOTAL_EXECUTOR_CORES": str(WORKERS * WORKER_CORES),
        "PYSPARK_PYTHON": sys.executable,
    })
    env.update(extra)
    return env


#: Generous: a driver JVM plus executors on a busy 2-core machine; a quiet one needs a fraction.
SUBMIT_TIMEOUT = 2400


def submit_start(env: dict[str, str], *args: str) -> subprocess.Popen:
    """Start ``infra/spark-submit.sh ARGS`` (so the test can do local work meanwhile)."""
    return subprocess.Popen(["bash", str(SUBMIT_SH), *args], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def submit_wait(proc: subprocess.Popen, timeout: int = SUBMIT_TIMEOUT) -> subprocess.CompletedProcess:
    """Wait for a submission; fail with the driver's output tail when it fails."""
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
    if proc.returncode != 0:
        tail = "\n".join((out + err).splitlines()[-60:])
        pytest.fail(f"spark-submit {' '.join(proc.args[2:])} failed ({proc.returncode}):\n{tail}")
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def submit(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    """Run ``infra/spark-submit.sh ARGS`` to the end."""
    return submit_wait(submit_start(env, *args))


def open_bucket_for(spark, bucket: str, endpoint: str) -> None:
    """Let the local test session read s3a://bucket on the moto server (per-bucket S3A options)."""
    conf = spark.sparkContext._jsc.hadoopConfiguration()
    prefix = f"fs.s3a.bucket.{bucket}."
    for key, value in {
        "endpoint": endpoint,
        "path.style.access": "true",
        "connection.ssl.enabled": "false",
        "endpoint.region": "us-east-1",
        "aws.credentials.provider": "org.apache.hadoop.fs.s3a.SimpleAWSCredentialsProvider",
        "access.key": os.environ["AWS_ACCESS_KEY_ID"],
        "secret.key": os.environ["AWS_SECRET_ACCESS_KEY"],
    }.items():
        conf.set(prefix + key, value)

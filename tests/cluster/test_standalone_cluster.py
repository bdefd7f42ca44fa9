"""infra/spark-cluster.sh: a real standalone master and two workers on loopback, managed by PID."""

from __future__ import annotations

import os
from pathlib import Path

from tests.cluster.conftest import WORKER_CORES, WORKER_MEMORY_MB, WORKERS


def test_master_has_two_workers_each_with_its_own_cores_and_memory(spark_cluster):
    state = spark_cluster.master_state()
    assert state["url"] == spark_cluster.master_url
    assert state["status"] == "ALIVE"
    alive = [w for w in state["workers"] if w["state"] == "ALIVE"]
    assert len(alive) == WORKERS
    assert {(w["host"], w["cores"], w["memory"]) for w in alive} == {("127.0.0.1", WORKER_CORES, WORKER_MEMORY_MB)}
    assert len({w["id"] for w in alive}) == WORKERS


def test_every_daemon_has_a_pid_file_of_a_live_jvm_and_a_log(spark_cluster):
    pids = spark_cluster.pids()
    assert set(pids) == {"master", *(f"worker-{i}" for i in range(1, WORKERS + 1))}
    for name, pid in pids.items():
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        expected = "deploy.master.Master" if name == "master" else "deploy.worker.Worker"
        assert expected in cmdline and "java" in cmdline, (name, cmdline[:200])
        assert "127.0.0.1" in cmdline
        assert (spark_cluster.log_dir / f"{name}.out").stat().st_size > 0


def test_a_watchdog_stops_the_cluster_when_its_owner_is_gone(spark_cluster):
    watchdog = spark_cluster.state_dir / "run" / "watchdog.pid"
    assert watchdog.exists()
    cmdline = Path(f"/proc/{int(watchdog.read_text())}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    assert f"watchdog {os.getpid()} " in cmdline and cmdline.rstrip().endswith("infra/spark-cluster.sh")


def test_start_again_is_idempotent_and_status_reports_all_running(spark_cluster):
    before = spark_cluster.pids()
    again = spark_cluster.script("start")
    assert again.stdout.count("already running") == WORKERS + 1
    assert spark_cluster.pids() == before
    status = spark_cluster.script("status")
    assert status.returncode == 0
    assert f"{WORKERS} alive workers" in status.stdout
    assert len([w for w in spark_cluster.master_state()["workers"] if w["state"] == "ALIVE"]) == WORKERS

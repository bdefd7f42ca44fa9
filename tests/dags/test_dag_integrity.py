"""DAG integrity over dags/: imports cleanly, owner, tags, retries, timeouts, pools, no heavy imports,
no wall clock in task logic, a data-interval timetable, and the same DAG file in both execution modes."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from jobs.ops.plan import CHANNELS, all_pools

ROOT = Path(__file__).resolve().parents[2]
DAG_FILES = sorted((ROOT / "dags").glob("*.py"))
#: Modules no DAG file may pull in at parse time (the scheduler parses every file every ~30 s).
HEAVY = ("pyspark", "py4j", "delta", "mlflow", "sklearn", "pandas", "boto3", "duckdb", "sparknlp")
EXPECTED = {"minsheng_daily", "minsheng_backfill", "minsheng_models", "minsheng_weekly"}
#: Sensors read (landing files, publish manifests) and write no Delta table: no writer pool.
SENSORS = {"wait_for_landing", "wait_for_published_days"}


def test_dags_import_without_errors(dagbag):
    assert dagbag.import_errors == {}
    assert set(dagbag.dag_ids) >= EXPECTED


def test_owner_tags_retries_timeouts_callbacks_pools(dagbag):
    pools = set(all_pools())
    for dag_id in dagbag.dag_ids:
        dag = dagbag.get_dag(dag_id)
        assert "minsheng" in dag.tags, dag_id
        assert dag.max_active_runs == 1, f"{dag_id}: runs must not overlap (ordered MERGEs)"
        for t in dag.tasks:
            where = f"{dag_id}.{t.task_id}"
            assert t.owner == "minsheng", where
            assert t.retries >= 1, where
            assert t.execution_timeout is not None, where
            assert t.on_failure_callback, where
            if t.task_id not in SENSORS:
                assert t.pool in pools, f"{where} writes Delta tables outside a writer pool ({t.pool})"


def test_a_run_outlasts_its_sensors(dagbag):
    """A run that times out skips its unfinished tasks without a failure callback: every DAG's run timeout
    must cover its longest sensor wait and then its longest task."""
    for dag_id in dagbag.dag_ids:
        dag = dagbag.get_dag(dag_id)
        if dag.dagrun_timeout is None:
            continue
        waits = [t.timeout.total_seconds() if hasattr(t.timeout, "total_seconds") else float(t.timeout)
                 for t in dag.tasks if t.task_id in SENSORS]
        sensor_wait = max(waits, default=0.0)
        longest = max(t.execution_timeout.total_seconds() for t in dag.tasks if t.task_id not in SENSORS)
        assert dag.dagrun_timeout.total_seconds() >= sensor_wait + longest, dag_id


def test_daily_shape(dagbag):
    from airflow.sdk import CronDataIntervalTimetable

    dag = dagbag.get_dag("minsheng_daily")
    assert isinstance(dag.timetable, CronDataIntervalTimetable)
    assert dag.catchup is False
    ingest = {f"ingest_{ch}" for ch in CHANNELS}
    assert dag.get_task("wait_for_landing").downstream_task_ids == ingest
    for tid in ingest:
        assert dag.get_task(tid).downstream_task_ids == {"standardise"}
    gold = {"indicators", "score", "warnings"}
    assert dag.get_task("standardise").downstream_task_ids == {"quality"}
    # days in order even after a failed day is cleared and re-run (max_active_runs counts only live runs)
    assert dag.get_task("standardise").depends_on_past is True
    assert not any(t.depends_on_past for t in dag.tasks if t.task_id != "standardise")
    # the quality gate stands before every gold writer; the PII scan after all of them, publish last
    assert dag.get_task("quality").downstream_task_ids == gold
    for tid in gold:
        assert dag.get_task(tid).downstream_task_ids == {"pii_scan"}
    assert dag.get_task("pii_scan").downstream_task_ids == {"publish"}
    # every task writing tables declares them as assets, e.g. the silver tables
    uris = {o.uri for o in dag.get_task("standardise").outlets}
    assert "x-minsheng://lake/silver/dwd_work_order" in uris
    assert "x-minsheng://lake/bronze/bronze_phone" in {o.uri for o in dag.get_task("ingest_phone").outlets}
    assert dag.get_task("standardise").pool != dag.get_task("quality").pool


def test_no_heavy_imports_at_module_top():
    code = (
        "import sys, runpy, json\n"
        f"for f in {json.dumps([str(f) for f in DAG_FILES])}: runpy.run_path(f)\n"
        f"print(json.dumps(sorted(m for m in {list(HEAVY)!r} if m in sys.modules)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=os.environ.copy(),
                         cwd=ROOT, check=True)
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []


@pytest.mark.parametrize("path", [*DAG_FILES, ROOT / "jobs/ops/dagkit.py", ROOT / "jobs/ops/tasks.py"],
                         ids=lambda p: p.name)
def test_no_wall_clock_in_task_logic(path):
    calls = [n for n in ast.walk(ast.parse(path.read_text())) if isinstance(n, ast.Call)]
    clock = [ast.unparse(c.func) for c in calls
             if isinstance(c.func, ast.Attribute) and c.func.attr in ("now", "utcnow", "today")]
    assert clock == []


def test_cluster_profile_submits_the_same_tasks(dagbag):
    """Same DAG files; MINSHENG_PROFILE=cluster turns every step into a spark-submit of jobs/ops/spark_entry.py."""
    code = (
        "import json\nfrom airflow.dag_processing.dagbag import DagBag\n"
        f"bag = DagBag(dag_folder={str(ROOT / 'dags')!r})\n"
        "out = {'errors': list(bag.import_errors)}\n"
        "for d in bag.dag_ids:\n"
        "    for t in bag.get_dag(d).tasks:\n"
        "        out[d + '.' + t.task_id] = [type(t).__name__, getattr(t, '_conn_id', None),\n"
        "            getattr(t, 'application', None), getattr(t, 'application_args', None), getattr(t, 'jars', None)]\n"
        "print(json.dumps(out))\n"
    )
    env = {**os.environ, "MINSHENG_PROFILE": "cluster"}
    env.pop("MINSHENG_AIRFLOW_EXECUTION", None)
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=ROOT)
    assert res.returncode == 0, res.stderr[-3000:]
    got = json.loads(res.stdout.strip().splitlines()[-1])
    assert got.pop("errors") == []
    local = {f"{d}.{t.task_id}" for d in dagbag.dag_ids for t in dagbag.get_dag(d).tasks}
    assert set(got) == local
    for key, (kind, conn, app, args, jars) in got.items():
        if key.split(".")[1] in SENSORS:
            continue
        assert kind == "SparkSubmitOperator", key
        assert conn == "minsheng_spark" and app.endswith("jobs/ops/spark_entry.py"), key
        # on the submit command, or the driver has no Delta and no S3A (tests/cluster runs it for real)
        names = {os.path.basename(j) for j in jars.split(",")}
        assert any(n.startswith("delta-spark") for n in names) and any(n.startswith("hadoop-aws") for n in names), key
        step = key.split(".")[1]
        assert args[0] == step.split("_")[0] if step.startswith("ingest_") else args[0] == step
    assert got["minsheng_daily.ingest_grid"][3][:3] == ["ingest", "--channel", "grid"]
    assert "{{ data_interval_start.isoformat() }}" in got["minsheng_daily.quality"][3]
    assert "{{ params.date_from }}" in got["minsheng_backfill.quality"][3]


def test_models_and_weekly_shapes(dagbag):
    from airflow.sdk import CronDataIntervalTimetable

    from jobs.ops.tasks import CASES_WINDOW_DAYS

    models = dagbag.get_dag("minsheng_models")
    assert isinstance(models.timetable, CronDataIntervalTimetable)
    assert models.get_task("wait_for_published_days").downstream_task_ids == {"train_classifiers", "forecast"}
    assert models.get_task("train_classifiers").downstream_task_ids == {"forecast"}
    # a failed retrain does not stop the forecast; an unpublished month (sensor failed) does
    assert models.get_task("forecast").trigger_rule == "all_done_min_one_success"
    assert models.get_task("train_classifiers").trigger_rule == "all_success"
    assert "x-minsheng://lake/ops/ops_model_promotion" in {o.uri for o in models.get_task("train_classifiers").outlets}
    assert "x-minsheng://lake/gold/gold_forecast" in {o.uri for o in models.get_task("forecast").outlets}
    assert models.get_task("train_classifiers").pool != models.get_task("forecast").pool

    weekly = dagbag.get_dag("minsheng_weekly")
    assert weekly.get_task("wait_for_published_days").downstream_task_ids == {"cases"}
    assert weekly.get_task("cases").downstream_task_ids == {"weekly_report"}
    assert "x-minsheng://lake/gold/gold_case_cluster" in {o.uri for o in weekly.get_task("cases").outlets}
    assert CASES_WINDOW_DAYS >= 28  # 类案 grow over weeks: the window spans more than the report's week


@pytest.mark.parametrize(("dag_id", "run_after", "days"), [
    # a run processes the complete calendar periods before it: the week Monday..Sunday, the month 1st..last
    ("minsheng_daily", "2025-03-05T09:00", ("2025-03-04", "2025-03-04")),
    ("minsheng_weekly", "2025-03-12T09:00", ("2025-03-03", "2025-03-09")),
    ("minsheng_models", "2025-03-05T09:00", ("2025-02-01", "2025-02-28")),
])
def test_each_dag_processes_whole_city_days(dagbag, dag_id, run_after, days):
    import pendulum
    from airflow.timetables.interval import CronDataIntervalTimetable

    from jobs.ops.days import interval_days

    sdk_tt = dagbag.get_dag(dag_id).timetable
    interval = CronDataIntervalTimetable(sdk_tt.expression, timezone=sdk_tt.timezone).infer_manual_data_interval(
        run_after=pendulum.parse(run_after, tz="Asia/Shanghai"))
    first, last = interval_days(interval.start, interval.end)
    assert (str(first), str(last)) == days


def test_data_errors_are_not_retried(dagbag):
    from airflow.sdk.definitions.retry_policy import RetryAction

    from jobs.privacy import PiiLeakError
    from jobs.quality import QualityGateError

    policy = dagbag.get_dag("minsheng_daily").get_task("quality").retry_policy
    assert policy.evaluate(QualityGateError([]), 1, 3).action is RetryAction.FAIL
    assert policy.evaluate(PiiLeakError.__new__(PiiLeakError), 1, 3).action is RetryAction.FAIL
    assert policy.evaluate(ConnectionError("s3 hiccup"), 1, 3).action is RetryAction.DEFAULT

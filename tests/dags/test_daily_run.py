"""``minsheng_daily`` end to end with ``dag.test()`` on a tiny city: the same tables as calling the
steps directly, nothing changes when the run is repeated, and a failing quality gate stops the
downstream tasks with the reason recorded in ``ops_task_failure``."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime

import pytest

from jobs.ops.days import CITY_TZ
from jobs.ops.plan import CHANNELS

START = date(2025, 3, 1)
DAY = date(2025, 3, 2)
#: A manual run of a data-interval timetable covers the interval that ends at its logical date.
LOGICAL = datetime(2025, 3, 3, tzinfo=CITY_TZ)
#: Columns that record when a step ran (wall-clock lineage), not what the data is.
VOLATILE = {"ingest_time", "standardised_at", "computed_at", "published_at", "checked_at", "scanned_at",
            "run_at", "created_at", "updated_at", "processed_at", "loaded_at", "run_id", "publish_run_id",
            "etl_time", "scored_at", "queued_at"}


@pytest.fixture(scope="module")
def day_settings(separate_lake, s3_endpoint):
    """A lake, landing zone and publish bucket of this module's own, set in the environment the DAG's
    tasks read their settings from (they run in this process): the runs below write a day of a
    generated city and a broken quality gate, which must not meet other modules' lakes."""
    from jobs.common.config import load_settings

    own = separate_lake("daily")
    env = {"MINSHENG_LAKE_URI": own.lake_uri, "MINSHENG_LANDING_URI": own.landing_uri,
           "MINSHENG_GROUND_TRUTH_URI": own.ground_truth_uri, "MINSHENG_WORK_URI": own.work_uri,
           "MINSHENG_PUBLISH_BUCKET": "daily-run-test"}
    with pytest.MonkeyPatch.context() as mp:
        for key, value in env.items():
            mp.setenv(key, value)
        yield load_settings("test")


@pytest.fixture(scope="module")
def day_catalogue(day_settings):
    from jobs.common.catalogue import Catalogue

    return Catalogue(day_settings)


@pytest.fixture(scope="module")
def city(day_settings):
    from jobs.generate.run import run as generate

    return generate(300, START, 2, 11, settings=day_settings)


@pytest.fixture(scope="module")
def daily(airflow_db, dagbag, day_settings):
    return dagbag.get_dag("minsheng_daily")


def _data_tables(spark, cat) -> list[str]:
    return [n for n in cat.names() if cat.spec(n).layer in ("bronze", "silver", "gold") and cat.spec(n).is_delta
            and cat.exists(spark, n)]


def _content(spark, cat, name, version=None):
    df = cat.read(spark, name, version=version)
    return df.drop(*[c for c in df.columns if c in VOLATILE])


def _states(dr) -> dict[str, str]:
    return {ti.task_id: str(ti.state) for ti in dr.get_task_instances()}


def test_daily_run_equals_the_steps_called_directly(daily, city, spark, day_settings, day_catalogue):
    from pyspark.testing import assertDataFrameEqual

    from jobs.common.catalogue import Catalogue
    from jobs.ops.tasks import run_step
    from jobs.reference.load import load_reference

    dr = daily.test(logical_date=LOGICAL)
    assert str(dr.state) == "success", _states(dr)
    assert set(_states(dr).values()) == {"success"}
    tables = _data_tables(spark, day_catalogue)
    assert {"bronze_phone", "dwd_work_order", "dq_results", "ads_hotline_indicator"} <= set(tables)
    assert day_catalogue.read(spark, "dwd_work_order").where(f"accept_date = DATE'{DAY}'").count() > 0

    # the same steps, called directly, into a second lake
    direct = dataclasses.replace(day_settings, lake_uri=day_settings.lake_uri + "_direct")
    cat2 = Catalogue(direct)
    load_reference(spark, cat2)
    for ch in CHANNELS:
        run_step("ingest", DAY, DAY, channel=ch, settings=direct)
    for step in ("standardise", "quality", "indicators", "score", "warnings", "pii_scan", "publish"):
        run_step(step, DAY, DAY, settings=direct)
    assert sorted(tables) == sorted(_data_tables(spark, cat2))
    for name in tables:
        assertDataFrameEqual(_content(spark, day_catalogue, name), _content(spark, cat2, name))


def test_rerunning_the_day_changes_nothing(daily, city, spark, day_catalogue):
    from pyspark.testing import assertDataFrameEqual

    from jobs.common import delta

    before = {n: delta.current_version(spark, day_catalogue, n) for n in _data_tables(spark, day_catalogue)}
    dr = daily.test(logical_date=LOGICAL)
    assert str(dr.state) == "success", _states(dr)
    assert set(_data_tables(spark, day_catalogue)) == set(before)
    for name, version in before.items():
        assertDataFrameEqual(_content(spark, day_catalogue, name), _content(spark, day_catalogue, name, version))


def test_failing_quality_gate_stops_downstream_and_is_recorded(daily, city, spark, day_catalogue):
    from pyspark.sql import functions as F

    from jobs.common import delta
    from jobs.ops.failures import read_failures

    # Real bad data: the day's silver orders get a channel code outside CL-CHANNEL (a validity rule
    # with threshold 1.0), and the upstream tasks are marked successful so the gate sees the damage.
    delta.table(spark, day_catalogue, "dwd_work_order").update(
        condition=F.col("accept_date") == F.lit(DAY), set={"channel_code": F.lit("XX")})
    published = delta.current_version(spark, day_catalogue, "ads_hotline_indicator")
    dr = daily.test(logical_date=LOGICAL, mark_success_pattern=r"^(wait_for_landing|ingest_.*|standardise)$")
    states = _states(dr)
    assert str(dr.state) == "failed"
    assert states["quality"] == "failed"
    assert {states[t] for t in ("indicators", "score", "warnings", "pii_scan", "publish")} == {"upstream_failed"}
    assert delta.current_version(spark, day_catalogue, "ads_hotline_indicator") == published
    rows = read_failures(spark, day_catalogue, "minsheng_daily").where(F.col("task_id") == "quality").collect()
    assert len(rows) == 1, "a data failure is not retried: one try, one record"
    row = rows[0]
    assert row["exception_type"] == "jobs.quality.QualityGateError"
    assert row["day_from"] == DAY and row["day_to"] == DAY
    assert row["run_id"] == dr.run_id
    assert "wo_channel_valid" in row["message"] and "dwd_work_order" in row["message"]


def test_status_summarises_the_lake_the_scan_and_the_failure(daily, city, spark, day_catalogue):
    """``minsheng status`` after the runs above: latest day per table, the last quality batch with the
    rule that failed, the last PII scan, the last publication and the recorded task failure."""
    from jobs.ops.status import format_status, lake_status

    status = lake_status(spark, day_catalogue)
    tables = {t["table"]: t for t in status["tables"]}
    orders = tables["dwd_work_order"]
    assert orders["latest_day"] == str(DAY) and orders["rows"] == day_catalogue.read(spark, "dwd_work_order").count()
    assert status["dq"]["batch"] == str(DAY)
    assert any(f.get("rule_id") == "wo_channel_valid" for f in status["dq"]["failing"])
    pii = status["pii_scan"]
    assert pii["leaks"] == {} and "dwd_work_order" in pii["tables"]
    # the re-run and the failed run scanned nothing new: the last scan of the orders read no rows
    assert pii["tables"]["dwd_work_order"]["mode"] in ("unchanged", "changes")
    assert any(p["latest"] for p in status["publish"])
    assert [f["task_id"] for f in status["failures"]][:1] == ["quality"]
    text = format_status(status)
    assert "dwd_work_order" in text and "last PII scan: " in text and "clean" in text
    assert "FAILED" in text and "minsheng_daily.quality" in text


"""The failure callback writes one ``ops_task_failure`` row per failed try, from Airflow's own
(pendulum) context values, and never twice for the same try."""

from __future__ import annotations

from types import SimpleNamespace

import pendulum
import pytest


class GateClosed(RuntimeError):
    pass


@pytest.fixture()
def context():
    try:
        raise GateClosed("rule wo_channel_valid on dwd_work_order for 2025-03-02: 3 of 3 failed")
    except GateClosed as exc:
        error = exc
    ti = SimpleNamespace(dag_id="minsheng_daily", run_id="manual__2025-03-03", task_id="quality", map_index=-1,
                         try_number=1, end_date=pendulum.datetime(2025, 3, 3, 1, 2, 3, tz="UTC"))
    return {"ti": ti, "exception": error, "params": {},
            "data_interval_start": pendulum.datetime(2025, 3, 2, tz="Asia/Shanghai"),
            "data_interval_end": pendulum.datetime(2025, 3, 3, tz="Asia/Shanghai")}


def test_failure_recorded_once_with_the_reason(context, spark, catalogue, caplog):
    from datetime import date, datetime

    from jobs.ops.failures import read_failures, record_failure

    record_failure(context)
    record_failure(context)  # a callback delivered twice records once (MERGE on the try's key)
    rows = read_failures(spark, catalogue, "minsheng_daily").collect()
    assert len(rows) == 1
    row = rows[0].asDict()
    assert row["task_id"] == "quality" and row["try_number"] == 1 and row["map_index"] == -1
    assert (row["day_from"], row["day_to"]) == (date(2025, 3, 2), date(2025, 3, 2))
    assert row["data_interval_start"] == datetime(2025, 3, 1, 16, 0)
    assert row["failed_at"] == datetime(2025, 3, 3, 1, 2, 3)
    assert row["exception_type"].endswith("test_failures.GateClosed")
    assert "wo_channel_valid" in row["message"] and "GateClosed" in row["traceback"]
    assert "recorded in ops_task_failure" in caplog.text

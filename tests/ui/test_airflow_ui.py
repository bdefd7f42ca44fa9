"""The Airflow UI, checked as a person would: log in through headless Chromium and see the project's
DAGs with their last runs. Starts ``airflow standalone`` on loopback (``infra/airflow.sh start``) with
a private AIRFLOW_HOME, triggers a ``minsheng_daily`` run for a day whose delivery has not arrived
(its landing sensor waits: no Spark is started), and keeps a screenshot in ``var/artifacts/``.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest

from tests.ui.browser import CHROMIUM, headless_chromium, wait_for_text

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "var" / "artifacts"
RUN_DAY = "2025-03-01"
#: every DAG in dags/ must be listed in the UI
PROJECT_DAGS = ("minsheng_daily", "minsheng_backfill", "minsheng_models", "minsheng_weekly")

# Part of `make test` (CI): about 75 s here. make setup installs Chromium, so the skip only applies
# outside the project's set-up.
pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="run infra/install-chromium.sh first")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _api(base: str, path: str, token: str | None = None, body: dict | None = None, method: str | None = None):
    req = urllib.request.Request(base + path, method=method or ("POST" if body is not None else "GET"),
                                 data=json.dumps(body).encode() if body is not None else None,
                                 headers={"Content-Type": "application/json",
                                          **({"Authorization": f"Bearer {token}"} if token else {})})
    with urllib.request.urlopen(req, timeout=30) as resp:
        return json.loads(resp.read() or b"{}")


@pytest.fixture(scope="module")
def airflow_server():
    home = Path(tempfile.mkdtemp(prefix="minsheng-airflow-ui-"))
    landing = Path(tempfile.mkdtemp(prefix="minsheng-empty-landing-"))
    port = _free_port()
    env = {**os.environ, "MINSHENG_AIRFLOW_HOME": str(home), "MINSHENG_AIRFLOW_PORT": str(port),
           "MINSHENG_PROFILE": "local", "MINSHENG_LANDING_URI": str(landing),
           "MINSHENG_AIRFLOW_PIDFILE": str(home / "airflow.pid"), "MINSHENG_AIRFLOW_LOG": str(home / "airflow.log")}
    for key in [k for k in env if k.startswith("AIRFLOW")]:
        env.pop(key)  # the test session's own Airflow settings must not leak into the server
    script = str(ROOT / "infra" / "airflow.sh")
    started = subprocess.run(["bash", script, "start"], env=env, capture_output=True, text=True, timeout=900)
    try:
        assert started.returncode == 0, started.stdout[-2000:] + started.stderr[-3000:]
        base = f"http://127.0.0.1:{port}"
        password = (home / "admin-password").read_text().strip()
        token = _api(base, "/auth/token", body={"username": "admin", "password": password})["access_token"]
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:  # wait for the DAG processor to parse dags/
            ids = {d["dag_id"] for d in _api(base, "/api/v2/dags", token)["dags"]}
            if set(PROJECT_DAGS) <= ids:
                break
            time.sleep(3)
        _api(base, "/api/v2/dags/minsheng_daily", token, body={"is_paused": False}, method="PATCH")
        run = _api(base, "/api/v2/dags/minsheng_daily/dagRuns", token,
                   body={"logical_date": f"{RUN_DAY}T00:00:00+08:00", "dag_run_id": f"ui_check_{RUN_DAY}"})
        # the backfill DAG stays paused: its run is shown queued, and starts no Spark
        _api(base, "/api/v2/dags/minsheng_backfill/dagRuns", token,
             body={"logical_date": None, "dag_run_id": "ui_check_backfill",
                   "conf": {"date_from": "2025-01-01", "date_to": "2025-01-31", "chunk_days": 0}})
        yield {"base": base, "password": password, "token": token, "run": run, "home": home}
    finally:
        subprocess.run(["bash", script, "stop"], env=env, capture_output=True, text=True, timeout=120)
        shutil.rmtree(landing, ignore_errors=True)
        shutil.rmtree(home, ignore_errors=True)


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    yield from headless_chromium(tmp_path_factory.mktemp("chromium-profile"), headless="--headless=new")


def _wait_text(driver, texts: list[str], timeout: float = 180) -> str:
    return wait_for_text(driver, *texts, timeout=timeout, failure_screenshot=ARTIFACTS / "airflow-ui-failure.png")


def test_login_and_see_dags_with_their_last_runs(airflow_server, browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as EC
    from selenium.webdriver.support.ui import WebDriverWait

    base = airflow_server["base"]
    browser.get(base + "/")
    wait = WebDriverWait(browser, 180)
    user = wait.until(EC.presence_of_element_located((By.NAME, "username")))
    user.send_keys("admin")
    browser.find_element(By.NAME, "password").send_keys(airflow_server["password"])
    browser.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    _wait_text(browser, ["Welcome"])  # the home page: logged in

    browser.get(base + "/dags")
    body = _wait_text(browser, list(PROJECT_DAGS))
    assert "Log in" not in body
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(ARTIFACTS / "airflow-dags.png"))

    # the run we triggered is the daily DAG's last run, shown on its page with the run id and the day
    browser.get(f"{base}/dags/minsheng_daily/runs")
    _wait_text(browser, [f"ui_check_{RUN_DAY}"])
    browser.save_screenshot(str(ARTIFACTS / "airflow-daily-runs.png"))
    browser.get(f"{base}/dags/minsheng_backfill/runs")
    _wait_text(browser, ["ui_check_backfill"])
    browser.get(f"{base}/dags/minsheng_daily")
    _wait_text(browser, ["wait_for_landing"])
    browser.save_screenshot(str(ARTIFACTS / "airflow-daily.png"))


def test_demo_client_runs_a_day_now_and_fails_stale_runs(airflow_server):
    """The demo/bench client: a manual run for a city day's interval (logical date now, so Airflow 3
    starts it even when the day has not ended), and runs left active by an interrupted demo marked failed."""
    from datetime import UTC, datetime

    from jobs.ops.airflow_api import Airflow
    from jobs.ops.days import day_interval

    api = Airflow(airflow_server["base"], "admin", airflow_server["password"])
    now = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    start, end = day_interval("2025-03-02")
    run_id = api.trigger("minsheng_daily", {}, now, "ui_check_interval", (start.isoformat(), end.isoformat()))
    run = api._call(f"/api/v2/dags/minsheng_daily/dagRuns/{run_id}")
    assert datetime.fromisoformat(run["data_interval_start"]) == start
    assert datetime.fromisoformat(run["data_interval_end"]) == end

    # the paused backfill's run queued by the fixture is "stale" for a demo starting now
    assert "ui_check_backfill" in api.fail_stale_runs("minsheng_backfill", now)
    assert api._call("/api/v2/dags/minsheng_backfill/dagRuns/ui_check_backfill")["state"] == "failed"
    # a run created after the cut is left alone
    later = api.trigger("minsheng_backfill", {"date_from": "2025-01-01", "date_to": "2025-01-02", "chunk_days": 0},
                        None, "ui_check_backfill_later")
    assert api.fail_stale_runs("minsheng_backfill", now) == []
    assert api._call(f"/api/v2/dags/minsheng_backfill/dagRuns/{later}")["state"] == "queued"

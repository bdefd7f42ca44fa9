"""The MLflow UI checked as a person would: server on loopback, headless Chromium, experiments and aliases shown."""

from __future__ import annotations

import dataclasses
import os
import socket
import subprocess
from datetime import date
from pathlib import Path

import pytest

from tests.ui.browser import CHROMEDRIVER, CHROMIUM, headless_chromium, wait_for_text

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "var" / "artifacts"

pytestmark = pytest.mark.skipif(
    not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()),
    reason="Debian chromium + chromium-driver not installed (apt-get install -y chromium chromium-driver)",
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def ui_store(spark, settings, test_root):
    """Its own lake and MLflow store: the handling-path classifier trained twice (v1 champion, v2 challenger)."""
    from jobs.common import delta
    from jobs.common.catalogue import Catalogue
    from models.classify import train
    from tests.models.classify.silver_factory import ensure_silver_spec, silver_frame

    mp = pytest.MonkeyPatch()
    ensure_silver_spec(mp)
    base = test_root / "ui"
    s = dataclasses.replace(settings, lake_uri=str(base / "lake"),
                            mlflow={"tracking_uri": f"sqlite:///{base}/mlflow.db",
                                    "artifact_root": str(base / "artifacts")})
    cat = Catalogue(s)
    delta.overwrite(silver_frame(spark, 900, date(2026, 1, 1), 60, seed=3), cat, "dwd_work_order")
    params = {"vocab_size": 4000, "max_iter": 15}
    train.run(targets=["handling_path"], candidates=["lr_char_tfidf"], params=params, settings=s)
    train.run(targets=["handling_path"], candidates=["nb_char_tfidf"], params={**params, "vocab_size": 8},
              settings=s)
    yield s
    mp.undo()


@pytest.fixture(scope="module")
def mlflow_server(ui_store, test_root):
    from models.common import tracking

    port = _free_port()
    env = {**os.environ, "MLFLOW_PORT": str(port), "MINSHENG_MLFLOW_TRACKING_URI": tracking.tracking_uri(ui_store),
           "MINSHENG_MLFLOW_ARTIFACT_ROOT": str(test_root / "ui" / "artifacts"),
           "MLFLOW_PID_FILE": str(test_root / "ui" / "mlflow.pid"), "MLFLOW_LOG_FILE": str(test_root / "ui" / "mlflow.log")}
    script = str(ROOT / "infra" / "mlflow.sh")
    up = subprocess.run([script, "start"], env=env, capture_output=True, text=True, timeout=300)
    assert up.returncode == 0, up.stdout + up.stderr
    yield f"http://127.0.0.1:{port}"
    down = subprocess.run([script, "stop"], env=env, capture_output=True, text=True, timeout=60)
    assert down.returncode == 0, down.stdout + down.stderr
    assert not (test_root / "ui" / "mlflow.pid").exists()


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    yield from headless_chromium(tmp_path_factory.mktemp("chromium-profile"), extra=("--disable-dev-shm-usage",))


def _wait_text(driver, *texts: str, timeout: float = 120) -> str:
    return wait_for_text(driver, *texts, timeout=timeout, failure_screenshot=SCREENSHOTS / "mlflow-ui-failure.png")


def test_experiments_page_lists_the_classify_experiment(mlflow_server, browser):
    browser.get(f"{mlflow_server}/#/experiments")
    body = _wait_text(browser, "minsheng/classify/handling_path")
    assert "minsheng/classify/handling_path" in body
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(SCREENSHOTS / "mlflow_ui_experiments.png"))


def test_registered_model_page_shows_champion_and_challenger(mlflow_server, browser):
    browser.get(f"{mlflow_server}/#/models")
    _wait_text(browser, "minsheng_classify_handling_path")
    browser.get(f"{mlflow_server}/#/models/minsheng_classify_handling_path")
    body = _wait_text(browser, "champion", "challenger", "Version 2")
    assert "Version 1" in body
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    shot = SCREENSHOTS / "mlflow_ui_registered_model.png"
    browser.save_screenshot(str(shot))
    assert shot.stat().st_size > 10_000

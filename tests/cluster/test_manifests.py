"""infra/validate-manifests.sh: the deployment files pass, and a broken copy is caught by each check."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "infra" / "k8s"


def _validate(k8s_dir: Path) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", str(ROOT / "infra" / "validate-manifests.sh"), str(k8s_dir)],
                          capture_output=True, text=True, timeout=600, check=False)


@pytest.fixture
def k8s_copy(tmp_path) -> Path:
    target = tmp_path / "k8s"
    shutil.copytree(K8S, target, ignore=shutil.ignore_patterns("__pycache__"))
    return target


def test_deployment_files_are_valid():
    proc = _validate(K8S)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Invalid: 0, Errors: 0, Skipped: 0" in proc.stdout
    steps = sorted(p.stem for p in (K8S / "spark").glob("*.yaml"))
    assert {"ingest", "standardise", "indicators", "publish"} <= set(steps)
    assert "[check-values] ok" in proc.stdout


def test_a_misspelt_spark_application_field_fails(k8s_copy):
    path = k8s_copy / "spark" / "indicators.yaml"
    doc = yaml.safe_load(path.read_text())
    doc["spec"]["executor"]["memmory"] = doc["spec"]["executor"].pop("memory")
    path.write_text(yaml.safe_dump(doc))
    proc = _validate(k8s_copy)
    assert proc.returncode != 0
    assert "indicators.yaml" in proc.stdout and "memmory" in proc.stdout


def test_a_wrongly_typed_executor_count_fails(k8s_copy):
    path = k8s_copy / "spark" / "ingest.yaml"
    doc = yaml.safe_load(path.read_text())
    doc["spec"]["executor"]["instances"] = "four"
    path.write_text(yaml.safe_dump(doc))
    proc = _validate(k8s_copy)
    assert proc.returncode != 0
    assert "ingest.yaml" in proc.stdout


def test_an_inline_password_or_an_unsynced_secret_fails(k8s_copy):
    mlflow = k8s_copy / "helm" / "mlflow-values.yaml"
    values = yaml.safe_load(mlflow.read_text())
    values["backendStore"]["postgres"]["password"] = "hunter2"
    mlflow.write_text(yaml.safe_dump(values))
    spark = k8s_copy / "spark" / "publish.yaml"
    doc = yaml.safe_load(spark.read_text())
    doc["spec"]["driver"]["envFrom"].append({"secretRef": {"name": "hand-made-secret"}})
    spark.write_text(yaml.safe_dump(doc))
    proc = _validate(k8s_copy)
    assert proc.returncode != 0
    assert "mlflow-values.yaml: backendStore/postgres/password" in proc.stderr
    assert "publish.yaml: Secret 'hand-made-secret' is not produced by any ExternalSecret" in proc.stderr

"""Configuration: YAML profiles overlaid by environment variables.

Profiles live in ``jobs/common/conf``: ``base.yaml`` holds what every profile shares, and ``local``
(the embedded default), ``test`` and ``cluster`` overlay it. Environment variables win over both:

==================================  ======================================================================
``MINSHENG_PROFILE``                profile name (default ``local``)
``MINSHENG_HOME``                   folder that relative locations resolve against
``MINSHENG_LAKE_URI``               root of the Delta lake (``var/lake``, ``s3a://bucket/lake``)
``MINSHENG_LANDING_URI``            where raw deliveries arrive
``MINSHENG_GROUND_TRUTH_URI``       the synthetic city's ground truth
``MINSHENG_WORK_URI``               scratch space
``MINSHENG_SPARK_MASTER``           Spark master URL
``MINSHENG_SPARK_CONF``             extra Spark settings, ``key=value`` pairs separated by ``;``
``MINSHENG_S3_ENDPOINT_URL``        S3 endpoint for publishing (empty for AWS itself)
``MINSHENG_PUBLISH_BUCKET``         bucket that receives published indicators
``MINSHENG_MLFLOW_TRACKING_URI``    MLflow tracking store
``MINSHENG_MLFLOW_ARTIFACT_ROOT``   artifact root of new MLflow experiments (as ``infra/mlflow.sh``)
==================================  ======================================================================
"""

from __future__ import annotations

import copy
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

CONF_DIR = Path(__file__).resolve().parent / "conf"
PROJECT_ROOT = Path(__file__).resolve().parents[2]
PROFILES = ("local", "test", "cluster")


class ConfigError(RuntimeError):
    """A configuration problem, with a message that says what to do about it."""


def _deep_merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for key, value in (over or {}).items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _deep_merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def _read_yaml(path: Path) -> dict[str, Any]:
    with path.open(encoding="utf-8") as fh:
        return yaml.safe_load(fh) or {}


def resolve_uri(uri: str, home: Path) -> str:
    """Turn a relative location into an absolute path under ``home``; URIs with a scheme stay."""
    if "://" in uri:
        return uri.rstrip("/")
    path = Path(uri)
    return str(path if path.is_absolute() else (home / path).resolve())


@dataclass(frozen=True)
class Settings:
    """The resolved configuration of one profile."""

    profile: str
    home: Path
    spark_master: str
    spark_app_name: str
    spark_conf: dict[str, str]
    lake_uri: str
    landing_uri: str
    ground_truth_uri: str
    work_uri: str
    s3: dict[str, Any]
    mlflow: dict[str, Any]
    calendar_first_year: int
    calendar_last_year: int
    java_min_version: int
    java_max_version: int
    raw: dict[str, Any] = field(repr=False, default_factory=dict)

    @property
    def is_local_lake(self) -> bool:
        return "://" not in self.lake_uri or self.lake_uri.startswith("file://")


def load_settings(profile: str | None = None, env: dict[str, str] | None = None) -> Settings:
    """Load a profile and overlay the environment.

    Args:
        profile: profile name; defaults to ``MINSHENG_PROFILE`` or ``local``.
        env: environment to read (defaults to ``os.environ``); tests pass their own.

    Raises:
        ConfigError: unknown profile or malformed override.
    """
    env = dict(os.environ if env is None else env)
    name = profile or env.get("MINSHENG_PROFILE") or "local"
    profile_file = CONF_DIR / f"{name}.yaml"
    if name not in PROFILES or not profile_file.exists():
        raise ConfigError(
            f"Unknown profile '{name}'. Choose one of {', '.join(PROFILES)} "
            "(set MINSHENG_PROFILE or pass --profile)."
        )
    data = _deep_merge(_read_yaml(CONF_DIR / "base.yaml"), _read_yaml(profile_file))
    home = Path(env.get("MINSHENG_HOME") or PROJECT_ROOT).resolve()

    storage = data.setdefault("storage", {})
    for key in ("lake_uri", "landing_uri", "ground_truth_uri", "work_uri"):
        override = env.get(f"MINSHENG_{key.upper()}")
        if override:
            storage[key] = override
    spark = data.setdefault("spark", {})
    spark_conf = {str(k): str(v) for k, v in (spark.get("conf") or {}).items()}
    extra = env.get("MINSHENG_SPARK_CONF", "")
    for item in filter(None, (part.strip() for part in extra.split(";"))):
        if "=" not in item:
            raise ConfigError(f"MINSHENG_SPARK_CONF item '{item}' is not key=value.")
        key, value = item.split("=", 1)
        spark_conf[key.strip()] = value.strip()
    s3 = dict(data.get("s3") or {})
    if "MINSHENG_S3_ENDPOINT_URL" in env:
        s3["endpoint_url"] = env["MINSHENG_S3_ENDPOINT_URL"] or None
    if env.get("MINSHENG_PUBLISH_BUCKET"):
        s3["publish_bucket"] = env["MINSHENG_PUBLISH_BUCKET"]
    mlflow = dict(data.get("mlflow") or {})
    if env.get("MINSHENG_MLFLOW_TRACKING_URI"):
        mlflow["tracking_uri"] = env["MINSHENG_MLFLOW_TRACKING_URI"]
    if env.get("MINSHENG_MLFLOW_ARTIFACT_ROOT"):
        mlflow["artifact_root"] = env["MINSHENG_MLFLOW_ARTIFACT_ROOT"]
    calendar = data.get("calendar") or {}
    java = data.get("java") or {}
    return Settings(
        profile=name,
        home=home,
        spark_master=env.get("MINSHENG_SPARK_MASTER") or spark.get("master", "local[*]"),
        spark_app_name=spark.get("app_name", "minsheng"),
        spark_conf=spark_conf,
        lake_uri=resolve_uri(storage["lake_uri"], home),
        landing_uri=resolve_uri(storage["landing_uri"], home),
        ground_truth_uri=resolve_uri(storage["ground_truth_uri"], home),
        work_uri=resolve_uri(storage["work_uri"], home),
        s3=s3,
        mlflow=mlflow,
        calendar_first_year=int(calendar.get("first_year", 2020)),
        calendar_last_year=int(calendar.get("last_year", 2027)),
        java_min_version=int(java.get("min_version", 17)),
        java_max_version=int(java.get("max_version", 25)),
        raw=data,
    )

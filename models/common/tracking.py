"""Where MLflow keeps runs, artifacts and registered models, resolved from the profile.

The tracking store is a database (SQLite under ``var/`` locally); the model registry lives in the same
store. Relative locations in ``settings.mlflow`` resolve against ``settings.home``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from jobs.common.config import Settings, load_settings, resolve_uri

if TYPE_CHECKING:
    from mlflow import MlflowClient

#: experiments are named ``minsheng/<family>/<target>``; registered models ``minsheng_<family>_<target>``
EXPERIMENT_PREFIX = "minsheng"


def tracking_uri(settings: Settings) -> str:
    """The tracking (and registry) URI with a relative SQLite path made absolute under ``settings.home``."""
    uri = str(settings.mlflow.get("tracking_uri") or "sqlite:///var/mlflow/mlflow.db")
    prefix = "sqlite:///"
    if uri.startswith(prefix):
        path = Path(uri[len(prefix):])
        if not path.is_absolute():
            path = (settings.home / path).resolve()
        path.parent.mkdir(parents=True, exist_ok=True)
        return f"{prefix}{path}"
    return uri


def artifact_root(settings: Settings) -> str:
    """Root under which every experiment keeps its artifacts (a local folder or an object-store URI)."""
    root = resolve_uri(str(settings.mlflow.get("artifact_root") or "var/mlflow/artifacts"), settings.home)
    if "://" not in root:
        Path(root).mkdir(parents=True, exist_ok=True)
        return Path(root).as_uri()
    return root


def dfs_tmp(settings: Settings) -> str:
    """Scratch folder MLflow uses to hand Spark models to and from the JVM (``MLFLOW_DFS_TMP``)."""
    return f"{settings.work_uri}/mlflow_dfs_tmp"


def configure(settings: Settings | None = None) -> MlflowClient:
    """Point this process's MLflow at the project's store; returns a client for it.

    Sets ``MLFLOW_DFS_TMP`` (Spark model save/load scratch space) to the profile's work folder.
    """
    import mlflow
    from mlflow import MlflowClient

    settings = settings or load_settings()
    uri = tracking_uri(settings)
    os.environ["MLFLOW_DFS_TMP"] = dfs_tmp(settings)
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    return MlflowClient(tracking_uri=uri, registry_uri=uri)


def experiment_name(family: str, target: str) -> str:
    return f"{EXPERIMENT_PREFIX}/{family}/{target}"


def registered_model_name(family: str, target: str) -> str:
    return f"{EXPERIMENT_PREFIX}_{family}_{target}"


def ensure_experiment(client: MlflowClient, settings: Settings, family: str, target: str) -> str:
    """The experiment id for (family, target), created with its artifact location under the root."""
    name = experiment_name(family, target)
    found = client.get_experiment_by_name(name)
    if found is not None:
        if found.lifecycle_stage == "deleted":
            client.restore_experiment(found.experiment_id)
        return found.experiment_id
    location = f"{artifact_root(settings)}/{family}/{target}"
    return client.create_experiment(name, artifact_location=location,
                                    tags={"minsheng.family": family, "minsheng.target": target})


def pip_requirements() -> list[str]:
    """What a logged Spark model needs to load again: the versions running now, not a hard-coded pin."""
    import mlflow
    import pyspark

    return [f"pyspark=={pyspark.__version__}", f"mlflow=={mlflow.__version__}"]

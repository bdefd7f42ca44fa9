"""Registered models, aliases and the champion/challenger decision.

A new model version always gets the ``challenger`` alias. It takes the ``champion`` alias only if it beats
the current champion on the *same* evaluation set (the caller scores the champion on that set), and every
decision — promoted or not — is kept as a row of ``ops_model_promotion``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mlflow import MlflowClient
    from pyspark.sql import DataFrame, SparkSession

    from jobs.common.catalogue import Catalogue

CHAMPION = "champion"
CHALLENGER = "challenger"
PROMOTION_TABLE = "ops_model_promotion"


@dataclass(frozen=True)
class PromotionDecision:
    """The outcome of one champion/challenger comparison."""

    family: str
    target: str
    model_name: str
    challenger_version: str
    challenger_run_id: str
    champion_version_before: str | None
    metric: str
    higher_is_better: bool
    challenger_value: float
    champion_value: float | None
    promoted: bool
    reason: str
    challenger_metrics: dict[str, float] = field(default_factory=dict)
    champion_metrics: dict[str, float] = field(default_factory=dict)
    eval_set: dict[str, object] = field(default_factory=dict)

    @property
    def decision(self) -> str:
        return "promoted" if self.promoted else "rejected"


def register_challenger(client: MlflowClient, model_uri: str, name: str, tags: Mapping[str, str] | None = None) -> str:
    """Register ``model_uri`` as a new version of ``name`` and give it the ``challenger`` alias."""
    import mlflow

    try:
        client.get_registered_model(name)
    except Exception:
        client.create_registered_model(name, tags={"minsheng.registered_by": "models.common.registry"})
    version = mlflow.register_model(model_uri, name, tags=dict(tags or {})).version
    client.set_registered_model_alias(name, CHALLENGER, str(version))
    return str(version)


def alias_version(client: MlflowClient, name: str, alias: str) -> str | None:
    """The version an alias points at, or None when the model or the alias does not exist."""
    try:
        return str(client.get_model_version_by_alias(name, alias).version)
    except Exception:
        return None


def decide(
    challenger_value: float, champion_value: float | None, metric: str, higher_is_better: bool = True,
    min_delta: float = 0.0,
) -> tuple[bool, str]:
    """Whether the challenger should replace the champion, and why (a pure function)."""
    if champion_value is None:
        return True, "no champion yet: the first version becomes champion"
    if challenger_value is None or math.isnan(challenger_value):
        return False, f"challenger {metric} is not a number"
    gain = (challenger_value - champion_value) if higher_is_better else (champion_value - challenger_value)
    word = "above" if higher_is_better else "below"
    if gain > min_delta:
        return True, (f"challenger {metric}={challenger_value:.4f} is {word} champion {champion_value:.4f} "
                      f"by {gain:.4f} (> {min_delta}) on the same evaluation set")
    return False, (f"challenger {metric}={challenger_value:.4f} does not beat champion {champion_value:.4f} "
                   f"by more than {min_delta} on the same evaluation set")


def promote_if_better(
    client: MlflowClient,
    *,
    family: str,
    target: str,
    model_name: str,
    version: str,
    run_id: str,
    metrics: Mapping[str, float],
    evaluate_champion: Callable[[str], Mapping[str, float]],
    metric: str,
    higher_is_better: bool = True,
    min_delta: float = 0.0,
    eval_set: Mapping[str, object] | None = None,
) -> PromotionDecision:
    """Compare the new ``version`` with the champion on the same evaluation set; move aliases accordingly.

    Args:
        evaluate_champion: scores a model URI (``models:/name/version``) on the evaluation set the
            challenger was scored on and returns its metrics.
        metric: the metric that decides; ``higher_is_better`` says which way.
        min_delta: the margin the challenger must win by.
    """
    champion_version = alias_version(client, model_name, CHAMPION)
    champion_metrics: dict[str, float] = {}
    champion_value: float | None = None
    if champion_version is not None and champion_version != str(version):
        champion_metrics = {k: float(v) for k, v in evaluate_champion(f"models:/{model_name}/{champion_version}").items()}
        champion_value = champion_metrics.get(metric)
    promoted, reason = decide(float(metrics[metric]), champion_value, metric, higher_is_better, min_delta)
    if promoted:
        client.set_registered_model_alias(model_name, CHAMPION, str(version))
    client.set_model_version_tag(model_name, str(version), "minsheng.promotion", "promoted" if promoted else "rejected")
    client.set_model_version_tag(model_name, str(version), "minsheng.promotion_reason", reason[:5000])
    return PromotionDecision(
        family=family, target=target, model_name=model_name, challenger_version=str(version),
        challenger_run_id=run_id, champion_version_before=champion_version, metric=metric,
        higher_is_better=higher_is_better, challenger_value=float(metrics[metric]), champion_value=champion_value,
        promoted=promoted, reason=reason, challenger_metrics={k: float(v) for k, v in metrics.items()},
        champion_metrics=champion_metrics, eval_set=dict(eval_set or {}),
    )


def promotion_schema():
    from pyspark.sql import types as T

    return T.StructType([
        T.StructField("decided_at", T.TimestampType(), False),
        T.StructField("family", T.StringType(), False),
        T.StructField("target", T.StringType(), False),
        T.StructField("model_name", T.StringType(), False),
        T.StructField("challenger_version", T.StringType(), False),
        T.StructField("challenger_run_id", T.StringType(), False),
        T.StructField("champion_version_before", T.StringType(), True),
        T.StructField("metric", T.StringType(), False),
        T.StructField("challenger_value", T.DoubleType(), True),
        T.StructField("champion_value", T.DoubleType(), True),
        T.StructField("decision", T.StringType(), False),
        T.StructField("reason", T.StringType(), False),
        T.StructField("challenger_metrics_json", T.StringType(), False),
        T.StructField("champion_metrics_json", T.StringType(), False),
        T.StructField("eval_set_json", T.StringType(), False),
    ])


def promotion_records(spark: SparkSession, decisions: list[PromotionDecision], decided_at: datetime) -> DataFrame:
    """Decisions as rows of ``ops_model_promotion``."""
    rows = []
    for d in decisions:
        rows.append((
            decided_at, d.family, d.target, d.model_name, d.challenger_version, d.challenger_run_id,
            d.champion_version_before, d.metric, d.challenger_value, d.champion_value, d.decision, d.reason,
            json.dumps(d.challenger_metrics, sort_keys=True), json.dumps(d.champion_metrics, sort_keys=True),
            json.dumps(d.eval_set, sort_keys=True, default=str, ensure_ascii=False),
        ))
    return spark.createDataFrame(rows, promotion_schema())


def write_promotion_records(
    spark: SparkSession, cat: Catalogue, decisions: list[PromotionDecision], decided_at: datetime
) -> int:
    """Append the decisions to ``ops_model_promotion``; returns the number of rows written."""
    from jobs.common import delta

    if not decisions:
        return 0
    delta.append(promotion_records(spark, decisions, decided_at), cat, PROMOTION_TABLE)
    return len(decisions)


def as_dict(decision: PromotionDecision) -> dict[str, object]:
    out = asdict(decision)
    out["decision"] = decision.decision
    return out

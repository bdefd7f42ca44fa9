"""Batch scoring: each target's ``champion`` labels new silver orders; low-confidence rows go to review.

Predictions (label, probability, model name and version) go to ``gold_order_classification``; rows whose
top probability is below the target's threshold go to ``gold_classify_review_queue``. Both are replaced
for the scored date range and targets, so a rerun is idempotent.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

from jobs.common.config import Settings, load_settings
from models.classify import pipeline as P
from models.classify.train import FAMILY, SOURCE_TABLE, TARGETS, TEXT_COLS, load_model

if TYPE_CHECKING:
    from pyspark.ml import PipelineModel
    from pyspark.sql import DataFrame

log = logging.getLogger(__name__)

PREDICTIONS_TABLE = "gold_order_classification"
REVIEW_TABLE = "gold_classify_review_queue"
#: below this top-class probability a prediction is sent to a person (per target)
DEFAULT_THRESHOLDS: dict[str, float] = {"category_l1": 0.5, "category_l2": 0.4, "main_dept": 0.4,
                                        "handling_path": 0.6}

PREDICTION_COLS = ("order_id", "accept_date", "target", "predicted_label", "probability", "model_name",
                   "model_version", "scored_at")
REVIEW_COLS = ("order_id", "accept_date", "target", "predicted_label", "probability", "threshold",
               "model_name", "model_version", "queued_at", "review_status")


def predict(orders: DataFrame, model: PipelineModel, target: str, model_name: str, model_version: str,
            scored_at: datetime) -> DataFrame:
    """Score ``orders`` (order_id, accept_date, title, content_redacted) → the predictions schema."""
    from pyspark.ml.functions import vector_to_array
    from pyspark.sql import functions as F

    scored = model.transform(orders.select("order_id", "accept_date", *TEXT_COLS))
    return scored.select(
        "order_id", "accept_date", F.lit(target).alias("target"),
        F.col(P.PREDICTED_LABEL).alias("predicted_label"),
        F.array_max(vector_to_array(F.col("probability"))).alias("probability"),
        F.lit(model_name).alias("model_name"), F.lit(str(model_version)).alias("model_version"),
        F.lit(scored_at).cast("timestamp").alias("scored_at"),
    )


def review_rows(predictions: DataFrame, thresholds: Mapping[str, float]) -> DataFrame:
    """Predictions whose probability is below their target's threshold, as review-queue rows."""
    from pyspark.sql import functions as F

    th = F.create_map(*[x for t, v in thresholds.items() for x in (F.lit(t), F.lit(float(v)))])
    return (predictions.withColumn("threshold", th[F.col("target")])
            .filter(F.col("probability") < F.col("threshold"))
            .select("order_id", "accept_date", "target", "predicted_label", "probability", "threshold",
                    "model_name", "model_version", F.col("scored_at").alias("queued_at"),
                    F.lit("pending").alias("review_status")))


def champion(client, target: str, settings: Settings) -> tuple[str, str, PipelineModel]:
    """(model name, version, fitted pipeline) of the target's champion; a clear error if there is none."""
    from models.common import registry, tracking

    name = tracking.registered_model_name(FAMILY, target)
    version = registry.alias_version(client, name, registry.CHAMPION)
    if version is None:
        raise LookupError(f"registered model {name} has no '{registry.CHAMPION}' version: "
                          "run `minsheng classify-train` first")
    return name, version, load_model(f"models:/{name}/{version}", settings)


def run(
    date_from: date,
    date_to: date,
    targets: Sequence[str] | None = None,
    silver_version: int | None = None,
    thresholds: Mapping[str, float] | None = None,
    settings: Settings | None = None,
) -> dict[str, Any]:
    """Score the orders accepted in [date_from, date_to] with every target's champion (one Spark job).

    Returns:
        Rows scored and queued per target, the champion versions and the Delta versions written.
    """
    from pyspark.sql import functions as F

    from jobs.common import delta
    from jobs.common.catalogue import Catalogue
    from jobs.common.session import get_spark
    from models.common import tracking

    if date_to < date_from:
        raise ValueError(f"date_to {date_to} is before date_from {date_from}")
    settings = settings or load_settings()
    spark = get_spark(settings)
    cat = Catalogue(settings)
    client = tracking.configure(settings)
    names = list(targets or TARGETS)
    th = {**DEFAULT_THRESHOLDS, **(thresholds or {})}
    version = silver_version if silver_version is not None else delta.current_version(spark, cat, SOURCE_TABLE)
    orders = (cat.read(spark, SOURCE_TABLE, version=version)
              .filter(F.col("accept_date").between(F.lit(date_from), F.lit(date_to)))
              .select("order_id", "accept_date", *TEXT_COLS))
    scored_at = datetime.now(UTC)
    parts, champions, skipped = [], {}, {}
    for name in names:
        try:
            model_name, model_version, model = champion(client, name, settings)
        except LookupError as exc:
            # A city's first days run before any model is trained: the daily run goes on (indicators
            # and publishing do not need the classifiers) and says loudly which target was not scored.
            log.warning("classify-score: %s not scored: %s", name, exc)
            skipped[name] = str(exc)
            continue
        champions[name] = {"model_name": model_name, "version": model_version}
        parts.append(predict(orders, model, name, model_name, model_version, scored_at))
    if not parts:
        return {"date_from": str(date_from), "date_to": str(date_to), "silver_version": version,
                "champions": {}, "scored": {}, "queued_for_review": {}, "skipped": skipped}
    names = list(champions)
    predictions = parts[0]
    for p in parts[1:]:
        predictions = predictions.unionByName(p)
    where = (f"accept_date >= '{date_from}' AND accept_date <= '{date_to}' AND target IN "
             f"({', '.join(repr(t) for t in names)})")
    delta.overwrite(predictions, cat, PREDICTIONS_TABLE, replace_where=where)
    written = delta.read_version(spark, cat, PREDICTIONS_TABLE, delta.current_version(spark, cat, PREDICTIONS_TABLE))
    written = written.filter(where)
    review = review_rows(written, {t: th[t] for t in names})
    # MERGE, not overwrite: a row a person has already reviewed keeps its decision when the day is
    # scored again; pending rows take the new prediction, and pending rows the new champion is now
    # confident about leave the queue.
    in_scope = (f"t.accept_date >= '{date_from}' AND t.accept_date <= '{date_to}' AND t.target IN "
                f"({', '.join(repr(t) for t in names)})")
    delta.merge(review, cat, REVIEW_TABLE, partition_filter=in_scope,
                update_condition="t.review_status = 'pending'", delete_missing_in_partition=True,
                delete_condition=f"{in_scope} AND t.review_status = 'pending'")
    counts = {r["target"]: int(r["count"]) for r in written.groupBy("target").count().collect()}
    queued = {r["target"]: int(r["count"]) for r in
              cat.read(spark, REVIEW_TABLE).filter(where).groupBy("target").count().collect()}
    summary = {
        "date_from": str(date_from), "date_to": str(date_to), "silver_version": version,
        "champions": champions, "scored": counts, "queued_for_review": queued, "thresholds": th,
        "skipped": skipped,
        "predictions_version": delta.current_version(spark, cat, PREDICTIONS_TABLE),
        "review_version": delta.current_version(spark, cat, REVIEW_TABLE),
    }
    log.info("classify-score summary: %s", summary)
    return summary

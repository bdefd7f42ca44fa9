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


#: parameters that name DataFrame columns (the ones renamed when a target's stages run side by side)
_COL_PARAMS = ("inputCol", "inputCols", "outputCol", "outputCols", "featuresCol", "predictionCol",
               "probabilityCol", "rawPredictionCol")
#: fitted stages whose whole state is their params plus these attributes (compared to share a stage)
_STATE = {"CountVectorizerModel": "vocabulary", "IDFModel": "idf"}
#: stateless stages (params are everything)
_STATELESS = {"SQLTransformer", "RegexTokenizer", "Tokenizer", "NGram", "Normalizer", "HashingTF",
              "VectorAssembler", "IndexToString"}


def _params(stage: Any) -> dict[str, Any]:
    return {p.name: stage.getOrDefault(p) for p in stage.params if stage.isDefined(p)}


def _same_stage(stages: Sequence[Any]) -> bool:
    """True when every stage computes the same thing (same class, params and, if fitted, state)."""
    kind = type(stages[0]).__name__
    if any(type(s).__name__ != kind for s in stages) or (kind not in _STATELESS and kind not in _STATE):
        return False
    first = _params(stages[0])
    if any(_params(s) != first for s in stages[1:]):
        return False
    if kind in _STATE:
        state = [getattr(s, _STATE[kind]) for s in stages]
        return all(x == state[0] for x in state[1:])
    return True


def shared_prefix(models: Sequence[PipelineModel]) -> int:
    """How many leading stages all the fitted pipelines have in common."""
    stage_lists = [m.stages for m in models]
    k = 0
    while all(len(st) > k for st in stage_lists) and _same_stage([st[k] for st in stage_lists]):
        k += 1
    return k


def _renamed(stages: Sequence[Any], tag: str) -> list[Any] | None:
    """Copies of ``stages`` whose output columns carry ``__tag`` (inputs follow), or None if impossible.

    A SQL statement cannot be renamed safely, so a suffix containing one is not run side by side.
    """
    names: dict[str, str] = {}
    out = []
    for st in stages:
        if type(st).__name__ == "SQLTransformer":
            return None
        extra = {}
        for pname in _COL_PARAMS:
            if not st.hasParam(pname) or not st.isDefined(st.getParam(pname)):
                continue
            value = st.getOrDefault(st.getParam(pname))
            if pname.startswith("input") or pname == "featuresCol":
                new = [names.get(v, v) for v in value] if isinstance(value, list) else names.get(value, value)
            else:
                new = [f"{v}__{tag}" for v in value] if isinstance(value, list) else f"{value}__{tag}"
                for a, b in (zip(value, new, strict=True) if isinstance(value, list) else [(value, new)]):
                    names[a] = b
            extra[st.getParam(pname)] = new
        out.append(st.copy(extra))
    return out


def predict_each(orders: DataFrame, champions: Mapping[str, tuple[str, str, PipelineModel]],
                 scored_at: datetime) -> DataFrame:
    """Every target's predictions as a union of one full pipeline per target (each tokenises every order)."""
    parts = [predict(orders, model, t, name, version, scored_at) for t, (name, version, model) in champions.items()]
    out = parts[0]
    for p in parts[1:]:
        out = out.unionByName(p)
    return out


def predict_all(orders: DataFrame, champions: Mapping[str, tuple[str, str, PipelineModel]],
                scored_at: datetime) -> DataFrame:
    """Every target's predictions in one pass over ``orders`` (the predictions schema, a row per target).

    The stages the champions have in common (text clean-up, character n-grams and — when the targets
    were fitted on one featuriser — TF-IDF) run once; each target's own stages then run side by side
    on renamed columns, and the targets' results are exploded into rows. Scoring the targets as a
    union of separate pipelines tokenised every order once per target.
    """
    from pyspark.ml import PipelineModel
    from pyspark.ml.functions import vector_to_array
    from pyspark.sql import functions as F

    targets = list(champions)
    models = [champions[t][2] for t in targets]
    k = shared_prefix(models)
    suffixes = [_renamed(m.stages[k:], str(i)) for i, m in enumerate(models)]
    if any(s is None for s in suffixes):  # cannot run side by side: one pipeline per target
        return predict_each(orders, champions, scored_at)
    df = orders.select("order_id", "accept_date", *TEXT_COLS)
    df = PipelineModel(list(models[0].stages[:k])).transform(df) if k else df
    results = []
    for i, (t, suffix) in enumerate(zip(targets, suffixes, strict=True)):
        df = PipelineModel(suffix).transform(df)
        label_col = f"{P.PREDICTED_LABEL}__{i}" if k < len(models[i].stages) else P.PREDICTED_LABEL
        prob_col = next(st.getProbabilityCol() for st in (suffix or models[i].stages) if st.hasParam("probabilityCol"))
        results.append(F.struct(
            F.lit(t).alias("target"), F.col(label_col).alias("predicted_label"),
            F.array_max(vector_to_array(F.col(prob_col))).alias("probability"),
            F.lit(champions[t][0]).alias("model_name"), F.lit(str(champions[t][1])).alias("model_version")))
    return (df.select("order_id", "accept_date", F.explode(F.array(*results)).alias("p"))
            .select("order_id", "accept_date", "p.target", "p.predicted_label", "p.probability", "p.model_name",
                    "p.model_version", F.lit(scored_at).cast("timestamp").alias("scored_at")))


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
    loaded, champions, skipped = {}, {}, {}
    for name in names:
        try:
            loaded[name] = champion(client, name, settings)
        except LookupError as exc:
            # A city's first days run before any model is trained: the daily run goes on (indicators
            # and publishing do not need the classifiers) and says loudly which target was not scored.
            log.warning("classify-score: %s not scored: %s", name, exc)
            skipped[name] = str(exc)
            continue
        champions[name] = {"model_name": loaded[name][0], "version": loaded[name][1]}
    if not loaded:
        return {"date_from": str(date_from), "date_to": str(date_to), "silver_version": version,
                "champions": {}, "scored": {}, "queued_for_review": {}, "skipped": skipped}
    names = list(champions)
    predictions = predict_all(orders, loaded, scored_at)
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

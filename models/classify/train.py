"""Retrain, evaluate, register and promote the four 诉求智能分类 classifiers.

Reads ``dwd_work_order`` at a pinned Delta version, splits by time (train on the older months, evaluate
on the latest, as in deployment), samples each class up to a cap (stratified), trains every candidate
pipeline per target, keeps the best by macro-F1 on the evaluation month and logs the comparison. The
winner is logged to MLflow, registered as a new version with the ``challenger`` alias and promoted to
``champion`` only if it beats the current champion on the same evaluation set.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

from jobs.common.config import Settings, load_settings
from models.classify import pipeline as P
from models.classify.evaluate import confusion_figure, evaluate, flat_metrics, report_text

if TYPE_CHECKING:
    from pyspark.ml import PipelineModel
    from pyspark.sql import DataFrame

log = logging.getLogger(__name__)

FAMILY = "classify"
SOURCE_TABLE = "dwd_work_order"
TEXT_COLS = ("title", "content_redacted")


@dataclass(frozen=True)
class Target:
    name: str
    label_col: str
    weight_power: float  # class-weight strength: 1 = balanced, 0 = none
    rare: tuple[str, ...] = ()
    top_k: int | None = None


#: the four targets. Handling paths are heavily skewed and the rare ones matter most → fully balanced.
TARGETS: dict[str, Target] = {
    "category_l1": Target("category_l1", "category_l1_code", 0.5),
    "category_l2": Target("category_l2", "category_l2_code", 0.5),
    "main_dept": Target("main_dept", "main_dept_code", 0.5, top_k=3),
    # 03 转紧急热线, 04 告知法定途径, 05 解释说明(敏感), 06 恶意扰乱
    "handling_path": Target("handling_path", "handling_path_code", 1.0, rare=("03", "04", "05", "06")),
}
DEFAULT_CANDIDATES = ("lr_char_tfidf", "nb_char_tfidf")
DECIDING_METRIC = "macro_f1"
#: stratified cap of training rows per class. Multinomial LR costs rows × classes × n-grams per iteration:
#: at 5,000 rows per class the 43-class L2 target is 214 k rows and ~9 s per L-BFGS iteration on two cores
#: (40 iterations ≈ 7 min), while its held-out accuracy moves by tenths of a point between 5,000 and 20,000.
#: 3,000 per class keeps every target of a 1 M-order city to a few minutes; rare classes keep all their rows.
MAX_PER_CLASS = 3000


def time_split(df: DataFrame, eval_months: int = 1) -> tuple[DataFrame, DataFrame, date, date]:
    """Train on the months before the latest ``eval_months`` months of ``accept_date``; evaluate on those.

    Returns (train, eval, eval_start, last_date).
    """
    from pyspark.sql import functions as F

    last = df.select(F.max("accept_date")).first()[0]
    if last is None:
        raise ValueError(f"{SOURCE_TABLE} has no rows with an accept_date to train on")
    month = last.year * 12 + last.month - 1 - (eval_months - 1)
    eval_start = date(month // 12, month % 12 + 1, 1)
    train = df.filter(F.col("accept_date") < F.lit(eval_start))
    evaluation = df.filter(F.col("accept_date") >= F.lit(eval_start))
    return train, evaluation, eval_start, last


def stratified_sample(df: DataFrame, label_col: str, counts: Mapping[str, int], max_per_class: int | None,
                      seed: int) -> DataFrame:
    """At most about ``max_per_class`` rows of each label (all rows of the smaller classes)."""
    if not max_per_class:
        return df
    fractions = {lab: min(1.0, max_per_class / c) for lab, c in counts.items() if c}
    if all(f >= 1.0 for f in fractions.values()):
        return df
    return df.sampleBy(label_col, fractions, seed)


def label_counts(df: DataFrame, label_col: str) -> dict[str, int]:
    return {r[0]: int(r[1]) for r in df.groupBy(label_col).count().collect()}


def model_labels(model: PipelineModel) -> list[str]:
    """The label strings of a fitted pipeline, in index order (from its IndexToString stage)."""
    return list(model.stages[-1].getLabels())


def evaluate_model(model: PipelineModel, eval_df: DataFrame, target: Target) -> dict[str, Any]:
    """Score ``eval_df`` with ``model`` and compute the target's metrics (by label string)."""
    labels = model_labels(model)
    scored = model.transform(P.label_index(eval_df, target.label_col, labels))
    return evaluate(scored, labels, rare=target.rare, top_k=target.top_k)


def _signature_and_example(eval_df: DataFrame, model: PipelineModel):
    from mlflow.models import infer_signature

    example = eval_df.select(*TEXT_COLS).limit(3).toPandas()
    out = model.transform(eval_df.select(*TEXT_COLS).limit(3)).select(P.PREDICTED_LABEL).toPandas()
    return infer_signature(example, out[P.PREDICTED_LABEL]), example


#: rows the shared featuriser (vocabulary + IDF) is fitted on, at most (document frequencies of character
#: n-grams are stable long before that; 200 k rows took 80 s, 100 k 42 s on two cores)
FEATURISER_ROWS = 100_000


def fit_featuriser(train_df: DataFrame, params: Mapping[str, Any] | None, seed: int,
                   max_rows: int = FEATURISER_ROWS) -> PipelineModel:
    """The text → TF-IDF stages, fitted once on (a sample of) the training orders for every target."""
    n = train_df.count()
    if n == 0:
        raise ValueError("no training orders before the evaluation month")
    sample = train_df if n <= max_rows else train_df.sample(fraction=min(1.0, 1.1 * max_rows / n), seed=seed)
    return P.featuriser(TEXT_COLS, {**(params or {}), "seed": seed}).fit(sample.select(*TEXT_COLS))


def train_target(
    target: Target, train_df: DataFrame, eval_df: DataFrame, candidates: Sequence[str],
    params: Mapping[str, Any] | None, max_per_class: int | None, seed: int,
    features: PipelineModel | None = None,
) -> dict[str, Any]:
    """Fit every candidate for one target and score each on the evaluation set (no MLflow here).

    ``features``: the run's fitted featuriser, shared by every target and candidate (fitted here when absent).
    """
    from pyspark.sql import functions as F

    train_df = train_df.filter(F.col(target.label_col).isNotNull())
    eval_df = eval_df.filter(F.col(target.label_col).isNotNull())
    counts = label_counts(train_df, target.label_col)
    if len(counts) < 2:
        raise ValueError(f"target {target.name}: need at least 2 classes in the training months, found {counts}")
    sample = stratified_sample(train_df, target.label_col, counts, max_per_class, seed)
    sample_counts = label_counts(sample, target.label_col)
    labels = sorted(sample_counts)
    weights = P.class_weights(sample_counts, target.weight_power)
    prepared = P.with_weights(P.label_index(sample, target.label_col, labels), target.label_col, weights)
    prepared = prepared.repartition(max(2, prepared.sparkSession.sparkContext.defaultParallelism)).cache()
    eval_df = eval_df.cache()
    if features is None:
        features = fit_featuriser(prepared, params, seed)
    results = []
    try:
        for cand in candidates:
            t0 = time.perf_counter()
            model = P.build_pipeline(cand, labels, TEXT_COLS, {**(params or {}), "seed": seed},
                                     features=features).fit(prepared)
            fit_s = time.perf_counter() - t0
            metrics = evaluate_model(model, eval_df, target)
            log.info("classify %s candidate %s: macro_f1=%.4f accuracy=%.4f (fit %.1fs)",
                     target.name, cand, metrics["macro_f1"], metrics["accuracy"], fit_s)
            results.append({"candidate": cand, "model": model, "metrics": metrics, "fit_seconds": fit_s})
    finally:
        prepared.unpersist()
    best = max(results, key=lambda r: (r["metrics"][DECIDING_METRIC], -r["fit_seconds"]))
    return {"labels": labels, "weights": weights, "train_counts": counts, "sample_counts": sample_counts,
            "results": results, "best": best, "eval_df": eval_df}


def run(
    as_of: date | None = None,
    targets: Sequence[str] | None = None,
    silver_version: int | None = None,
    candidates: Sequence[str] | None = None,
    max_per_class: int | None = MAX_PER_CLASS,
    params: Mapping[str, Any] | None = None,
    min_delta: float = 0.0,
    eval_months: int = 1,
    seed: int = 7,
    settings: Settings | None = None,
) -> dict[str, Any]:
    """Retrain the classifiers, log them to MLflow, register a challenger and promote it if it wins.

    Args:
        as_of: use only orders accepted before this date (default: all of the pinned version).
        targets: subset of ``category_l1``, ``category_l2``, ``main_dept``, ``handling_path`` (default all).
        silver_version: Delta version of ``dwd_work_order`` to read (default: its current version).
        candidates: pipelines to compare (default ``lr_char_tfidf``, ``nb_char_tfidf``).
        max_per_class: stratified cap of training rows per class (None = all rows).
        params: overrides of :data:`models.classify.pipeline.DEFAULT_PARAMS`.
        min_delta: margin of macro-F1 the challenger must win by to be promoted.
        eval_months: number of latest months held out for evaluation.

    Returns:
        Per-target summary: run id, version, metrics, candidate comparison and the promotion decision.
    """
    import mlflow
    from pyspark.sql import functions as F

    from jobs.common import delta
    from jobs.common.catalogue import Catalogue
    from jobs.common.session import get_spark
    from models.common import registry, tracking

    settings = settings or load_settings()
    spark = get_spark(settings)
    cat = Catalogue(settings)
    client = tracking.configure(settings)
    names = list(targets or TARGETS)
    unknown = [t for t in names if t not in TARGETS]
    if unknown:
        raise ValueError(f"unknown targets {unknown}; choose from {', '.join(TARGETS)}")
    candidates = list(candidates or DEFAULT_CANDIDATES)
    version = silver_version if silver_version is not None else delta.current_version(spark, cat, SOURCE_TABLE)
    silver = cat.read(spark, SOURCE_TABLE, version=version)
    if as_of is not None:
        silver = silver.filter(F.col("accept_date") < F.lit(as_of))
    cols = ["order_id", "accept_date", *TEXT_COLS, *{TARGETS[t].label_col for t in names}]
    silver = silver.select(*cols)
    train_df, eval_df, eval_start, last = time_split(silver, eval_months)
    decided_at = datetime.now(UTC)
    summary: dict[str, Any] = {"silver_table": SOURCE_TABLE, "silver_version": version,
                               "eval_from": str(eval_start), "eval_to": str(last), "targets": {}}
    decisions = []
    t0 = time.perf_counter()
    features = fit_featuriser(train_df, params, seed)
    summary["featuriser_seconds"] = round(time.perf_counter() - t0, 1)
    for name in names:
        target = TARGETS[name]
        t0 = time.perf_counter()
        out = train_target(target, train_df, eval_df, candidates, params, max_per_class, seed, features)
        best = out["best"]
        exp_id = tracking.ensure_experiment(client, settings, FAMILY, name)
        model_name = tracking.registered_model_name(FAMILY, name)
        eval_set = {"table": SOURCE_TABLE, "delta_version": version, "from": str(eval_start), "to": str(last),
                    "as_of": str(as_of) if as_of else None, "n_eval": best["metrics"]["n_eval"]}
        comparison = [{"candidate": r["candidate"], "description": P.CANDIDATES[r["candidate"]],
                       "fit_seconds": round(r["fit_seconds"], 2), **flat_metrics(r["metrics"])}
                      for r in out["results"]]
        with mlflow.start_run(experiment_id=exp_id, run_name=f"{name}-{best['candidate']}") as run_:
            for r in out["results"]:
                with mlflow.start_run(experiment_id=exp_id, run_name=f"candidate-{r['candidate']}", nested=True):
                    mlflow.log_params({"candidate": r["candidate"], "silver_delta_version": version})
                    mlflow.log_metrics({**flat_metrics(r["metrics"]), "fit_seconds": r["fit_seconds"]})
            mlflow.set_tags({"minsheng.family": FAMILY, "minsheng.target": name,
                             "minsheng.silver_table": SOURCE_TABLE, "minsheng.silver_delta_version": str(version)})
            mlflow.log_params({
                "target": name, "label_col": target.label_col, "candidate": best["candidate"],
                "candidates": ",".join(candidates), "silver_table": SOURCE_TABLE, "silver_delta_version": version,
                "train_to_exclusive": str(eval_start), "eval_from": str(eval_start), "eval_to": str(last),
                "as_of": str(as_of) if as_of else "", "max_per_class": max_per_class or 0,
                "class_weight_power": target.weight_power, "n_classes": len(out["labels"]),
                "n_train_rows": sum(out["train_counts"].values()), "n_train_sampled": sum(out["sample_counts"].values()),
                "seed": seed, **{f"p_{k}": v for k, v in {**P.DEFAULT_PARAMS, **(params or {})}.items()},
            })
            metrics = best["metrics"]
            mlflow.log_metrics({**flat_metrics(metrics), "fit_seconds": best["fit_seconds"]})
            mlflow.log_dict({"comparison": comparison, "chosen": best["candidate"]}, "candidate_comparison.json")
            mlflow.log_text(report_text(metrics), "per_class_report.txt")
            mlflow.log_dict({k: v for k, v in metrics.items() if k != "confusion"}, "per_class_report.json")
            mlflow.log_dict({"labels": out["labels"], "weights": out["weights"], "train_counts": out["train_counts"],
                             "sample_counts": out["sample_counts"]}, "labels_and_weights.json")
            fig = confusion_figure(metrics, out["labels"], f"{name} · {best['candidate']} · eval {eval_start}..{last}")
            mlflow.log_figure(fig, "confusion_matrix.png")
            import matplotlib.pyplot as plt

            plt.close(fig)
            signature, example = _signature_and_example(out["eval_df"], best["model"])
            info = mlflow.spark.log_model(best["model"], "model", pip_requirements=tracking.pip_requirements(),
                                          signature=signature, input_example=example,
                                          dfs_tmpdir=tracking.dfs_tmp(settings))
            run_id = run_.info.run_id
        new_version = registry.register_challenger(
            client, info.model_uri, model_name,
            tags={"minsheng.silver_delta_version": str(version), "minsheng.candidate": best["candidate"],
                  "minsheng.run_id": run_id})
        decision = registry.promote_if_better(
            client, family=FAMILY, target=name, model_name=model_name, version=new_version, run_id=run_id,
            metrics=flat_metrics(metrics),
            evaluate_champion=lambda uri, t=target, e=out["eval_df"]: flat_metrics(
                evaluate_model(load_model(uri, settings), e, t)),
            metric=DECIDING_METRIC, min_delta=min_delta, eval_set=eval_set)
        decisions.append(decision)
        out["eval_df"].unpersist()
        summary["targets"][name] = {
            "run_id": run_id, "model_name": model_name, "version": new_version, "candidate": best["candidate"],
            "comparison": comparison, "decision": decision.decision, "reason": decision.reason,
            "macro_f1": metrics["macro_f1"], "accuracy": metrics["accuracy"],
            **({"top3_accuracy": metrics["top3_accuracy"]} if "top3_accuracy" in metrics else {}),
            **({"rare_recall": metrics["rare_recall"]} if "rare_recall" in metrics else {}),
            "seconds": round(time.perf_counter() - t0, 1),
        }
        log.info("classify %s: v%s %s (%s)", name, new_version, decision.decision, decision.reason)
    summary["promotion_records"] = registry.write_promotion_records(spark, cat, decisions, decided_at)
    log.info("classify-train summary: %s", json.dumps(summary, ensure_ascii=False, default=str))
    return summary


def load_model(model_uri: str, settings: Settings | None = None) -> PipelineModel:
    """Load a logged classify pipeline (``models:/name@alias``, ``models:/name/3``, ``runs:/…``)."""
    import mlflow.spark

    from models.common import tracking

    settings = settings or load_settings()
    return mlflow.spark.load_model(model_uri, dfs_tmpdir=tracking.dfs_tmp(settings))

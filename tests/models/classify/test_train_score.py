"""Train → register → promote → score on a silver-shaped city, against a real MLflow store and Delta lake."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from pyspark.testing import assertDataFrameEqual

from tests.models.classify.conftest import FAST_PARAMS

TARGETS = ("category_l1", "category_l2", "main_dept", "handling_path")
EVAL_FROM, EVAL_TO = date(2026, 3, 1), date(2026, 3, 31)


def _client(clf_settings):
    from models.common import tracking

    return tracking.configure(clf_settings)


def test_each_target_trains_logs_and_gets_both_aliases(trained, silver_loaded, clf_settings):
    client = _client(clf_settings)
    _, silver_version = silver_loaded
    assert trained["silver_version"] == silver_version
    assert (trained["eval_from"], trained["eval_to"]) == ("2026-03-01", "2026-03-31")
    for target in TARGETS:
        out = trained["targets"][target]
        name = f"minsheng_classify_{target}"
        assert out["model_name"] == name and out["version"] == "1" and out["decision"] == "promoted"
        assert str(client.get_model_version_by_alias(name, "champion").version) == "1"
        assert str(client.get_model_version_by_alias(name, "challenger").version) == "1"
        run = client.get_run(out["run_id"])
        assert run.data.params["silver_delta_version"] == str(silver_version)
        assert run.data.params["silver_table"] == "dwd_work_order"
        for metric in ("accuracy", "macro_f1", "weighted_f1"):
            assert 0.0 <= run.data.metrics[metric] <= 1.0
        artifacts = {a.path for a in client.list_artifacts(out["run_id"])}
        assert {"confusion_matrix.png", "per_class_report.txt", "per_class_report.json",
                "candidate_comparison.json"} <= artifacts
        comparison = json.loads(Path(client.download_artifacts(out["run_id"], "candidate_comparison.json")).read_text())
        assert {c["candidate"] for c in comparison["comparison"]} == {"lr_char_tfidf", "nb_char_tfidf"}
        best = max(comparison["comparison"], key=lambda c: c["macro_f1"])
        assert comparison["chosen"] == best["candidate"] == out["candidate"]
        exp = client.get_experiment(run.info.experiment_id)
        assert exp.name == f"minsheng/classify/{target}"
    # the text carries the labels: the models must be far better than chance
    assert trained["targets"]["category_l1"]["macro_f1"] > 0.6
    assert trained["targets"]["handling_path"]["macro_f1"] > 0.5
    assert 0.0 < trained["targets"]["main_dept"]["top3_accuracy"] <= 1.0
    assert set(trained["targets"]["handling_path"]["rare_recall"]) == {"03", "04", "05", "06"}


def test_logged_model_has_signature_input_example_and_pip_requirements(trained, clf_settings):
    from mlflow.models import get_model_info

    _client(clf_settings)
    info = get_model_info("models:/minsheng_classify_category_l1/1")
    assert [c.name for c in info.signature.inputs] == ["title", "content_redacted"]
    assert info.saved_input_example_info is not None
    assert "spark" in info.flavors
    # The pins are the versions that trained the model, so a serving environment rebuilds the same stack.
    import mlflow
    import pyspark
    from mlflow.pyfunc import get_model_dependencies

    reqs = Path(get_model_dependencies("models:/minsheng_classify_category_l1/1")).read_text().split()
    assert f"pyspark=={pyspark.__version__}" in reqs and f"mlflow=={mlflow.__version__}" in reqs


def test_promotion_records_written_for_each_decision(trained, spark, clf_settings):
    from jobs.common.catalogue import Catalogue

    rows = (Catalogue(clf_settings).read(spark, "ops_model_promotion")
            .filter("challenger_version = '1'").select("target", "decision", "metric").collect())
    assert sorted((r["target"], r["decision"], r["metric"]) for r in rows) == sorted(
        (t, "promoted", "macro_f1") for t in TARGETS)


def test_worse_challenger_is_not_promoted(trained, spark, clf_settings):
    from jobs.common.catalogue import Catalogue
    from models.classify import train

    client = _client(clf_settings)
    # a deliberately crippled model: the 8 most frequent character grams cannot separate the handling paths
    out = train.run(targets=["handling_path"], candidates=["nb_char_tfidf"],
                    params={**FAST_PARAMS, "vocab_size": 8}, max_per_class=300, settings=clf_settings)
    t = out["targets"]["handling_path"]
    assert t["version"] == "2" and t["decision"] == "rejected"
    name = "minsheng_classify_handling_path"
    assert str(client.get_model_version_by_alias(name, "challenger").version) == "2"
    assert str(client.get_model_version_by_alias(name, "champion").version) == "1"
    rec = (Catalogue(clf_settings).read(spark, "ops_model_promotion")
           .filter("model_name = 'minsheng_classify_handling_path' AND challenger_version = '2'").collect())
    assert len(rec) == 1
    r = rec[0]
    assert r["decision"] == "rejected" and r["champion_version_before"] == "1"
    assert r["champion_value"] > r["challenger_value"]
    assert json.loads(r["eval_set_json"])["delta_version"] == out["silver_version"]
    assert "does not beat champion" in r["reason"]


@pytest.fixture(scope="module")
def scored(trained, clf_settings):
    from models.classify import score

    # category_l1 at threshold 1.01: every row is "low confidence", so the queue must hold all of them
    return score.run(EVAL_FROM, EVAL_TO, thresholds={"category_l1": 1.01}, settings=clf_settings)


def test_scoring_uses_champion_and_writes_predictions_schema(scored, spark, silver_loaded, clf_settings):
    from pyspark.sql import functions as F

    from jobs.common.catalogue import Catalogue

    cat = Catalogue(clf_settings)
    silver, _ = silver_loaded
    n_orders = silver.filter(F.col("accept_date").between(EVAL_FROM, EVAL_TO)).count()
    preds = cat.read(spark, "gold_order_classification")
    assert preds.columns == ["order_id", "accept_date", "target", "predicted_label", "probability", "model_name",
                             "model_version", "scored_at"]
    assert scored["scored"] == {t: n_orders for t in TARGETS}
    champions = spark.createDataFrame(
        [(t, f"minsheng_classify_{t}", "1") for t in TARGETS], "target string, model_name string, model_version string")
    assertDataFrameEqual(preds.select("target", "model_name", "model_version").distinct(), champions)
    assert preds.filter("probability IS NULL OR probability <= 0 OR probability > 1 OR predicted_label IS NULL").count() == 0
    assert preds.select("order_id", "target").distinct().count() == n_orders * len(TARGETS)


def test_review_queue_fills_with_low_confidence_rows(scored, spark, clf_settings):
    from pyspark.sql import functions as F

    from jobs.common.catalogue import Catalogue
    from models.classify.score import DEFAULT_THRESHOLDS

    cat = Catalogue(clf_settings)
    preds = cat.read(spark, "gold_order_classification")
    queue = cat.read(spark, "gold_classify_review_queue")
    th = {**DEFAULT_THRESHOLDS, "category_l1": 1.01}
    expected = (preds.withColumn("threshold", F.create_map(*[x for k, v in th.items() for x in (F.lit(k), F.lit(v))])
                                 [F.col("target")])
                .filter(F.col("probability") < F.col("threshold"))
                .select("order_id", "accept_date", "target", "predicted_label", "probability", "threshold",
                        "model_name", "model_version", F.col("scored_at").alias("queued_at"),
                        F.lit("pending").alias("review_status")))
    assertDataFrameEqual(queue, expected)
    assert scored["queued_for_review"]["category_l1"] == scored["scored"]["category_l1"]


def test_rescoring_same_range_is_idempotent(scored, spark, clf_settings):
    from jobs.common.catalogue import Catalogue
    from models.classify import score

    again = score.run(EVAL_FROM, EVAL_TO, targets=["handling_path"], settings=clf_settings)
    preds = Catalogue(clf_settings).read(spark, "gold_order_classification")
    assert preds.filter("target = 'handling_path'").count() == again["scored"]["handling_path"]
    assert preds.count() == sum(scored["scored"].values())


def test_rescoring_keeps_reviewed_rows_and_drops_now_confident_pending_rows(scored, spark, clf_settings):
    """The review queue is MERGEd: a person's decision survives a re-score; pending rows follow the model."""
    from delta.tables import DeltaTable
    from pyspark.sql import functions as F

    from jobs.common.catalogue import Catalogue
    from models.classify import score

    cat = Catalogue(clf_settings)
    # category_l1 was scored at threshold 1.01 (every row queued); a reviewer settles the most confident one
    top = (cat.read(spark, "gold_classify_review_queue").filter("target = 'category_l1'")
           .orderBy(F.desc("probability"), "order_id").first())
    DeltaTable.forPath(spark, cat.location("gold_classify_review_queue")).update(
        f"order_id = '{top['order_id']}' AND target = 'category_l1'", {"review_status": F.lit("confirmed")})
    # re-score at the median probability: about half the rows are now confident enough to leave the queue
    preds = cat.read(spark, "gold_order_classification").filter("target = 'category_l1'")
    th = preds.approxQuantile("probability", [0.5], 0.0)[0]
    assert top["probability"] >= th

    score.run(EVAL_FROM, EVAL_TO, targets=["category_l1"], thresholds={"category_l1": th}, settings=clf_settings)

    queue = cat.read(spark, "gold_classify_review_queue").filter("target = 'category_l1'")
    kept = queue.filter(F.col("order_id") == top["order_id"]).collect()
    assert [r["review_status"] for r in kept] == ["confirmed"]
    pending = queue.filter("review_status = 'pending'")
    assert pending.filter(F.col("probability") >= th).count() == 0
    below = preds.filter(F.col("probability") < th).count()
    assert 0 < below < preds.count()
    assert pending.count() == below
    assert queue.select("order_id").distinct().count() == queue.count() == below + 1


def test_targets_without_a_champion_are_skipped_not_failed(scored, clf_settings):
    from models.classify import score

    out = score.run(EVAL_FROM, EVAL_TO, targets=["no_such_target"], settings=clf_settings)
    assert out["scored"] == {} and "no_such_target" in out["skipped"]
    assert "no 'champion' version" in out["skipped"]["no_such_target"]


def test_champions_share_the_featuriser_and_one_pass_equals_per_target_scoring(trained, spark, silver_loaded,
                                                                                clf_settings):
    """classify-score computes n-grams and TF-IDF once for all targets; the predictions must not change."""
    from datetime import datetime

    from pyspark.sql import functions as F

    from models.classify import pipeline as P
    from models.classify.score import champion, predict_all, predict_each, shared_prefix

    client = _client(clf_settings)
    champions = {t: champion(client, t, clf_settings) for t in TARGETS}
    models = [m for _, _, m in champions.values()]
    n_featuriser = len(P.featuriser(("title", "content_redacted"), FAST_PARAMS).getStages())
    # every stage up to the TF-IDF column is shared; the classifiers differ
    assert shared_prefix(models) == n_featuriser
    assert models[0].stages[n_featuriser - 1].getOutputCol() == P.FEATURES_COL
    silver, _ = silver_loaded
    orders = silver.filter(F.col("accept_date").between(EVAL_FROM, EVAL_TO)).select(
        "order_id", "accept_date", "title", "content_redacted")
    at = datetime(2026, 4, 1)
    one_pass = predict_all(orders, champions, at)
    separate = predict_each(orders, champions, at)
    assert one_pass.columns == separate.columns
    assertDataFrameEqual(one_pass, separate, rtol=1e-9)
    # a single target: every stage is 'shared', nothing runs side by side
    lone = {"category_l1": champions["category_l1"]}
    assert predict_all(orders, lone, at).count() == orders.count()

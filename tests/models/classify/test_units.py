"""Pure pieces of the classifier: folds, weights, metrics, the promotion rule."""

from __future__ import annotations

import math

import numpy as np
import pytest

from models.classify.cv import stratified_folds
from models.classify.evaluate import metrics_from_confusion
from models.classify.pipeline import class_weights, text_sql
from models.common.registry import decide


def test_stratified_folds_are_seeded_and_balanced_per_class():
    labels = ["a"] * 50 + ["b"] * 7 + ["c"] * 3
    f1 = stratified_folds(labels, 5, seed=1)
    assert np.array_equal(f1, stratified_folds(labels, 5, seed=1))
    assert not np.array_equal(f1, stratified_folds(labels, 5, seed=2))
    for lab, n in (("a", 50), ("b", 7)):
        per_fold = np.bincount(f1[np.array(labels) == lab], minlength=5)
        assert per_fold.max() - per_fold.min() <= 1 and per_fold.sum() == n
    with pytest.raises(ValueError):
        stratified_folds(labels, 1, seed=1)


def test_class_weights_balanced_and_dampened():
    counts = {"01": 900, "03": 100}
    assert class_weights(counts, 1.0) == pytest.approx({"01": 1000 / (2 * 900), "03": 1000 / (2 * 100)})
    assert class_weights(counts, 0.0) == {"01": 1.0, "03": 1.0}
    half = class_weights(counts, 0.5)
    assert half["03"] == pytest.approx(math.sqrt(5.0))


def test_metrics_match_scikit_learn():
    from sklearn.metrics import accuracy_score, f1_score

    labels = ["x", "y", "z"]
    y_true = [0, 0, 0, 1, 1, 2, 2, 2, 2, 1]
    y_pred = [0, 1, 0, 1, 2, 2, 2, 0, 2, 1]
    mat = np.zeros((4, 3), dtype=np.int64)
    for t, p in zip(y_true, y_pred, strict=True):
        mat[t, p] += 1
    m = metrics_from_confusion(mat, labels)
    assert m["accuracy"] == pytest.approx(accuracy_score(y_true, y_pred))
    assert m["macro_f1"] == pytest.approx(f1_score(y_true, y_pred, average="macro"))
    assert m["per_class"]["z"]["recall"] == pytest.approx(3 / 4)


def test_unseen_label_rows_count_as_errors_and_a_zero_f1_class():
    mat = np.array([[5, 0], [0, 5], [2, 0]])  # last row: true label unknown to the model
    m = metrics_from_confusion(mat, ["a", "b"])
    assert m["accuracy"] == pytest.approx(10 / 12)
    assert m["n_unseen_label"] == 2
    prec_a = 5 / 7
    f1_a = 2 * prec_a / (prec_a + 1)
    assert m["macro_f1"] == pytest.approx((f1_a + 1.0 + 0.0) / 3)


def test_promotion_rule():
    assert decide(0.70, None, "macro_f1")[0] is True
    assert decide(0.71, 0.70, "macro_f1")[0] is True
    ok, reason = decide(0.70, 0.70, "macro_f1")
    assert ok is False and "does not beat" in reason
    assert decide(0.705, 0.70, "macro_f1", min_delta=0.01)[0] is False
    assert decide(9.0, 10.0, "mape", higher_is_better=False)[0] is True
    assert decide(float("nan"), 0.5, "macro_f1")[0] is False


def test_text_sql_names_every_column_and_rejects_none():
    sql = text_sql(["title", "content_redacted"])
    assert "`title`" in sql and "`content_redacted`" in sql
    with pytest.raises(ValueError):
        text_sql([])

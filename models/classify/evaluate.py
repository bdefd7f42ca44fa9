"""Metrics of a fitted classifier on an evaluation set, computed from a small confusion matrix.

Spark aggregates (label, prediction) counts and the top-3 hit rate; everything else is arithmetic on a
k×k matrix on the driver.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from models.classify.pipeline import LABEL_IDX

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

UNSEEN = "__unseen__"


def confusion(pred: DataFrame, n_labels: int) -> np.ndarray:
    """(n_labels + 1) × n_labels counts: rows = true index (last row: labels unseen in training)."""
    from pyspark.sql import functions as F

    mat = np.zeros((n_labels + 1, n_labels), dtype=np.int64)
    rows = pred.groupBy(F.col(LABEL_IDX).cast("int").alias("t"), F.col("prediction").cast("int").alias("p")).count()
    for r in rows.collect():
        mat[r["t"], r["p"]] += r["count"]
    return mat


def metrics_from_confusion(mat: np.ndarray, labels: Sequence[str]) -> dict[str, Any]:
    """Accuracy, macro-F1 (over the classes present in truth or prediction) and a per-class report."""
    k = len(labels)
    total = int(mat.sum())
    tp = np.array([mat[i, i] for i in range(k)], dtype=float)
    support = mat[:k].sum(axis=1).astype(float)
    predicted = mat.sum(axis=0).astype(float)
    unseen = int(mat[k].sum())
    with np.errstate(divide="ignore", invalid="ignore"):
        precision = np.where(predicted > 0, tp / predicted, 0.0)
        recall = np.where(support > 0, tp / support, 0.0)
        f1 = np.where(precision + recall > 0, 2 * precision * recall / (precision + recall), 0.0)
    present = (support > 0) | (predicted > 0)
    per_class = {
        labels[i]: {"precision": float(precision[i]), "recall": float(recall[i]), "f1": float(f1[i]),
                    "support": int(support[i])}
        for i in range(k) if present[i]
    }
    n_present = int(present.sum()) + (1 if unseen else 0)  # an unseen class counts with F1 = 0
    return {
        "n_eval": total,
        "n_unseen_label": unseen,
        "accuracy": float(tp.sum() / total) if total else float("nan"),
        "macro_f1": float(f1[present].sum() / n_present) if n_present else float("nan"),
        "weighted_f1": float((f1 * support).sum() / support.sum()) if support.sum() else float("nan"),
        "per_class": per_class,
    }


def top_k_accuracy(pred: DataFrame, k: int = 3) -> float:
    """Share of rows whose true label is among the k most probable classes (unseen labels count as misses)."""
    from pyspark.ml.functions import vector_to_array
    from pyspark.sql import functions as F

    arr = vector_to_array(F.col("probability"))
    idx = F.col(LABEL_IDX).cast("int")
    true_p = F.when(idx < F.size(arr), F.element_at(arr, idx + 1))
    higher = F.size(F.filter(arr, lambda x: x > true_p))
    hit = F.when(true_p.isNotNull() & (higher < k), 1.0).otherwise(0.0)
    row = pred.select(F.avg(hit).alias("v")).first()
    return float(row["v"]) if row["v"] is not None else float("nan")


def evaluate(pred: DataFrame, labels: Sequence[str], rare: Sequence[str] = (), top_k: int | None = None) -> dict[str, Any]:
    """All metrics for one target: accuracy, macro-F1, per-class report, recall of ``rare`` classes, top-k."""
    pred = pred.select(LABEL_IDX, "prediction", "probability").cache()
    try:
        mat = confusion(pred, len(labels))
        out = metrics_from_confusion(mat, labels)
        out["confusion"] = mat.tolist()
        if top_k:
            out[f"top{top_k}_accuracy"] = top_k_accuracy(pred, top_k)
    finally:
        pred.unpersist()
    if rare:
        recalls = {lab: out["per_class"].get(lab, {}).get("recall") for lab in rare}
        out["rare_recall"] = recalls
        seen = [v for lab, v in recalls.items() if v is not None and out["per_class"][lab]["support"] > 0]
        out["rare_recall_mean"] = float(np.mean(seen)) if seen else float("nan")
    return out


def flat_metrics(m: dict[str, Any]) -> dict[str, float]:
    """The numeric metrics MLflow logs (per-class F1 and rare recalls flattened into names)."""
    flat = {k: float(m[k]) for k in ("accuracy", "macro_f1", "weighted_f1", "n_eval", "n_unseen_label") if k in m}
    for key in m:
        if key.startswith("top") and key.endswith("_accuracy"):
            flat[key] = float(m[key])
    for lab, rep in m.get("per_class", {}).items():
        flat[f"f1_{_safe(lab)}"] = rep["f1"]
    for lab, rec in (m.get("rare_recall") or {}).items():
        if rec is not None:
            flat[f"recall_rare_{_safe(lab)}"] = float(rec)
    if "rare_recall_mean" in m:
        flat["rare_recall_mean"] = float(m["rare_recall_mean"])
    return flat


def _safe(name: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "_-." else "_" for ch in str(name))


def report_text(m: dict[str, Any]) -> str:
    """A per-class report like scikit-learn's, for the MLflow artifact."""
    lines = [f"{'class':<24}{'precision':>10}{'recall':>10}{'f1':>10}{'support':>10}"]
    for lab, rep in sorted(m["per_class"].items()):
        lines.append(f"{lab:<24}{rep['precision']:>10.3f}{rep['recall']:>10.3f}{rep['f1']:>10.3f}{rep['support']:>10d}")
    lines.append(f"accuracy={m['accuracy']:.4f} macro_f1={m['macro_f1']:.4f} weighted_f1={m['weighted_f1']:.4f} "
                 f"n={m['n_eval']} unseen_label_rows={m['n_unseen_label']}")
    return "\n".join(lines) + "\n"


def confusion_figure(m: dict[str, Any], labels: Sequence[str], title: str):
    """A matplotlib figure of the row-normalised confusion matrix."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    mat = np.asarray(m["confusion"], dtype=float)
    rows = list(labels) + ([UNSEEN] if mat[len(labels):].sum() else [])
    mat = mat[: len(rows)]
    norm = mat / np.maximum(mat.sum(axis=1, keepdims=True), 1)
    size = max(4.0, 0.28 * len(labels) + 2)
    fig, ax = plt.subplots(figsize=(size, size))
    ax.imshow(norm, cmap="Blues", vmin=0, vmax=1)
    ax.set_xticks(range(len(labels)), labels, rotation=90, fontsize=7)
    ax.set_yticks(range(len(rows)), rows, fontsize=7)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(title, fontsize=9)
    fig.tight_layout()
    return fig

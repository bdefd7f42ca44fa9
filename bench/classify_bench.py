"""Benchmarks of 诉求智能分类 → bench/results/classify_*.json (+ one line of text each).

  .venv/bin/python bench/classify_bench.py real   # 5-fold CV on the Hangzhou 留言 data vs a scikit-learn reference
  MINSHENG_BENCH_TRUTH=<folder> .venv/bin/python bench/classify_bench.py city  # macro-F1 on the latest month
  .venv/bin/python bench/classify_bench.py score  # training time and scoring orders/s on a synthetic silver frame

``real``: the Spark pipeline of ``minsheng classify-eval`` and a scikit-learn char TF-IDF + LinearSVC
reference (default and class-balanced) on exactly the same folds (scikit-learn is a bench-only reference).
``city``: the four targets on a generated city kept by ``generate_bench --keep`` (``MINSHENG_BENCH_TRUTH``,
its true orders shaped as silver by ``bench/insight_bench.py``): trained as ``classify-train`` does (one
featuriser, stratified sample per class, LR) on the months before the latest, scored on the latest month.
``score``: trains the four targets on ``--train-rows`` silver-shaped orders, then scores ``--rows`` orders
with all four pipelines (one Spark job, written to the ``noop`` sink) and reports orders/s.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
RESULTS = ROOT / "bench" / "results"
REAL = Path(os.environ.get("MINSHENG_REAL_DATA", "/work/shared/data/real")) / "hangzhou_liuyan" / \
    "hangzhou_liuyan_messages.csv"


def _machine() -> dict:
    return {"cpus": os.cpu_count(), "load_avg_1m": os.getloadavg()[0], "python": platform.python_version()}


def _write(name: str, payload: dict, line: str) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{name}.json").write_text(json.dumps(payload, ensure_ascii=False, indent=1), encoding="utf-8")
    (RESULTS / f"{name}.txt").write_text(line + "\n", encoding="utf-8")
    print(line)


def sklearn_reference(texts, labels, folds, k: int, class_weight=None) -> dict:
    import numpy as np
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.metrics import accuracy_score, f1_score
    from sklearn.svm import LinearSVC

    acc, mf = [], []
    for i in range(k):
        tr, te = folds != i, folds == i
        vec = TfidfVectorizer(analyzer="char", ngram_range=(1, 3), sublinear_tf=True)
        clf = LinearSVC(class_weight=class_weight).fit(vec.fit_transform(texts[tr]), labels[tr])
        pred = clf.predict(vec.transform(texts[te]))
        acc.append(accuracy_score(labels[te], pred))
        mf.append(f1_score(labels[te], pred, average="macro"))
    return {"per_fold_accuracy": acc, "per_fold_macro_f1": mf, "mean_accuracy": float(np.mean(acc)),
            "mean_macro_f1": float(np.mean(mf))}


def bench_real(args) -> None:

    from models.classify.cv import DEFAULT_WEIGHT_POWER, cross_validate, read_labelled_csv, stratified_folds

    cols = ["title", "content"]
    df = read_labelled_csv(str(REAL), cols, "domain")
    t0 = time.perf_counter()
    spark_res = cross_validate(df, cols, "domain", args.folds, args.seed, weight_power=DEFAULT_WEIGHT_POWER)
    spark_s = time.perf_counter() - t0
    texts = (df["title"] + "。" + df["content"]).str.replace(r"\s+", "", regex=True).str.lower().to_numpy()
    labels = df["domain"].to_numpy()
    folds = stratified_folds(labels.tolist(), args.folds, args.seed)
    ref = sklearn_reference(texts, labels, folds, args.folds)
    ref_bal = sklearn_reference(texts, labels, folds, args.folds, class_weight="balanced")
    payload = {
        "data": "hangzhou_liuyan_messages.csv (title + content -> domain)", "rows": len(df), "folds": args.folds,
        "seed": args.seed, "minsheng_spark": {**spark_res, "seconds": round(spark_s, 1)},
        "sklearn_tfidf_linearsvc": ref, "sklearn_tfidf_linearsvc_balanced": ref_bal, "machine": _machine(),
    }
    _write("classify_real_cv", payload,
           f"classify real CV ({len(df)} rows, {args.folds} folds, seed {args.seed}): minsheng macro_f1="
           f"{spark_res['mean_macro_f1']:.4f} acc={spark_res['mean_accuracy']:.4f}; sklearn LinearSVC macro_f1="
           f"{ref['mean_macro_f1']:.4f} acc={ref['mean_accuracy']:.4f}; balanced LinearSVC macro_f1="
           f"{ref_bal['mean_macro_f1']:.4f}")


def bench_score(args) -> None:
    from pyspark.sql import functions as F

    from jobs.common.config import load_settings
    from jobs.common.session import get_spark
    from models.classify import pipeline as P
    from models.classify.score import predict, predict_all, predict_each, shared_prefix
    from models.classify.train import TARGETS, TEXT_COLS
    from tests.models.classify.silver_factory import silver_frame

    settings = load_settings()
    spark = get_spark(settings)
    base = silver_frame(spark, args.train_rows, date(2026, 1, 1), 90, seed=1).cache()
    base.count()
    models, fit = {}, {}
    # as classify-train does: one featuriser (n-grams, vocabulary, IDF) fitted once, shared by the targets
    t0 = time.perf_counter()
    features = P.featuriser(TEXT_COLS).fit(base)
    fit["featuriser"] = round(time.perf_counter() - t0, 1)
    for name, t in TARGETS.items():
        counts = {r[0]: r[1] for r in base.groupBy(t.label_col).count().collect()}
        labels = sorted(counts)
        data = P.with_weights(P.label_index(base, t.label_col, labels), t.label_col, P.class_weights(counts, t.weight_power))
        t0 = time.perf_counter()
        models[name] = P.build_pipeline("lr_char_tfidf", labels, TEXT_COLS, features=features).fit(data)
        fit[name] = round(time.perf_counter() - t0, 1)
    # scoring input: the base rows replicated (distinct order ids), materialised once as Parquet
    reps = max(1, args.rows // args.train_rows)
    path = f"{settings.work_uri}/bench_classify_score_input"
    (base.crossJoin(spark.range(reps).withColumnRenamed("id", "rep"))
     .withColumn("order_id", F.concat_ws("-", "order_id", "rep")).drop("rep")
     .select("order_id", "accept_date", *TEXT_COLS).write.mode("overwrite").parquet(path))
    orders = spark.read.parquet(path)
    n = orders.count()
    per_target = {}
    for name, model in models.items():
        t0 = time.perf_counter()
        predict(orders, model, name, name, "bench", args.scored_at).write.format("noop").mode("overwrite").save()
        per_target[name] = round(n / (time.perf_counter() - t0))
    champions = {name: (name, "bench", m) for name, m in models.items()}
    t0 = time.perf_counter()
    predict_each(orders, champions, args.scored_at).write.format("noop").mode("overwrite").save()
    union_s = time.perf_counter() - t0
    # what classify-score runs: one pass, shared leading stages once (predict_all)
    t0 = time.perf_counter()
    predict_all(orders, champions, args.scored_at).write.format("noop").mode("overwrite").save()
    all_s = time.perf_counter() - t0
    payload = {"train_rows": args.train_rows, "fit_seconds": fit, "scored_orders": n,
               "orders_per_s_per_target": per_target, "orders_per_s_all_four_targets": round(n / all_s),
               "seconds_all_four": round(all_s, 1), "shared_leading_stages": shared_prefix(list(models.values())),
               "orders_per_s_all_four_as_union": round(n / union_s),
               "spark_master": settings.spark_master, "machine": _machine()}
    _write("classify_score", payload,
           f"classify scoring: {n} orders, all four targets in one pass {all_s:.1f}s = {n / all_s:,.0f} orders/s "
           f"(as a union of four pipelines {n / union_s:,.0f} orders/s; per target: {per_target}); "
           f"fit on {args.train_rows} rows: {fit}")


def bench_city(args) -> None:
    from pyspark.sql import functions as F

    from jobs.common.config import load_settings
    from jobs.common.session import get_spark
    from models.classify.train import TARGETS, fit_featuriser, time_split, train_target

    root = os.environ["MINSHENG_BENCH_TRUTH"].rstrip("/")
    spark = get_spark(load_settings(), app_name="bench-classify-city")
    # every order, voided and 恶意扰乱 ones too: classify-train learns the handling path 06 from them
    shaped = spark.read.parquet(f"{root}/bench_silver_shaped")
    # the department and handling path are not in the shaped frame: the generator's own, by order id
    truth = spark.read.parquet(f"{root}/ground_truth/orders").select(
        F.col("source_order_id").alias("order_id"), F.col("dept_code").alias("main_dept_code"), "handling_path_code")
    orders = shaped.join(truth, "order_id")
    train, evaluation, eval_start, last = time_split(orders)
    t0 = time.perf_counter()
    features = fit_featuriser(train, None, args.seed)
    fit = {"featuriser": round(time.perf_counter() - t0, 1)}
    per_target = {}
    for name, target in TARGETS.items():
        t0 = time.perf_counter()
        res = train_target(target, train, evaluation, ["lr_char_tfidf"], None, args.max_per_class, args.seed,
                           features=features)
        m = res["best"]["metrics"]
        fit[name] = round(res["best"]["fit_seconds"], 1)
        per_target[name] = {"macro_f1": round(m["macro_f1"], 4), "accuracy": round(m["accuracy"], 4),
                            "classes": len(res["labels"]), "train_rows_sampled": sum(res["sample_counts"].values()),
                            "seconds_fit_and_score": round(time.perf_counter() - t0, 1),
                            **({"rare_recall": m["rare_recall"]} if m.get("rare_recall") else {}),
                            **{k: round(v, 4) for k, v in m.items() if k.startswith("top") and k.endswith("_accuracy")}}
        res["eval_df"].unpersist()
    payload = {"orders": orders.count(), "eval_month": f"{eval_start}..{last}", "eval_orders": evaluation.count(),
               "candidate": "lr_char_tfidf", "max_per_class": args.max_per_class, "fit_seconds": fit,
               "targets": per_target, "machine": _machine(),
               "note": "the generator's true orders shaped as silver (recorded category with its label noise, "
                       "redacted text); department = the generator's dispatched department"}
    _write("classify_city", payload, "classify on the latest month of a generated city: " + ", ".join(
        f"{k} macro-F1 {v['macro_f1']:.3f} (acc {v['accuracy']:.3f})" for k, v in per_target.items()))


def main() -> None:
    from datetime import datetime

    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("what", choices=["real", "score", "city"])
    p.add_argument("--folds", type=int, default=5)
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--rows", type=int, default=1_000_000)
    p.add_argument("--train-rows", type=int, default=20_000)
    p.add_argument("--max-per-class", type=int, default=3000)
    args = p.parse_args()
    args.scored_at = datetime(2026, 1, 1)
    {"real": bench_real, "score": bench_score, "city": bench_city}[args.what](args)


if __name__ == "__main__":
    main()

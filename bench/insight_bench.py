"""Figures for 未诉先办 / 类案治理 → bench/results/insight*.json (+ one line of text each).

Sections (``--only`` picks some):

- ``real_forecast``: the real 泰迪杯 附件3 daily series (2019-01-01..2020-01-08), rolling-origin backtest
  (4 windows × 28 days): MASE / sMAPE of gbt, ets, mstl and seasonal-naive.
- ``real_cases``: 附件3 messages → MinHash near-duplicates and 类案 clusters; top clusters and whether the
  known threads (丽发新城, 伊景园, 魅力之城, 58车贷) come out as clusters.
- ``planted``: the small planted city of the tests: warning recall / precision / median lead; clustering
  purity / ARI; storm merge recall.
- ``lake_cases`` (not in the default set: it needs a generated city's silver in the profile's lake, e.g.
  ``MINSHENG_PROFILE=local`` after ``make demo``): 类案 over the 90 days (``CASES_WINDOW_DAYS``) up to the
  lake's last accepted day (``MINSHENG_BENCH_CASES_TO`` to choose another), as the weekly run computes
  them: how many clusters, how much of the window they cover, the largest, the top labels, and the
  planted incidents of the window with their clusters.
- ``truth_warnings`` (not in the default set): the early warnings over a whole generated city — the
  folder ``MINSHENG_BENCH_TRUTH`` that ``bench/generate_bench.py --keep`` leaves (``lake/`` with the
  reference tables, ``ground_truth/``) — scored against its planted incidents: recall, precision and
  median lead per incident type and warning kind. The orders are the generator's true orders shaped as
  ``dwd_work_order`` (the recorded, noisy category; text redacted with the pipeline's own redaction;
  void and malicious orders invalid), because a 10 M-order silver is not built on this machine in one
  session; everything after that — detection over every day, episodes, scoring — is the daily job's code.
- ``truth_forecast`` (not in the default set): the same city's forecast series (district × L1, city × L2)
  in the rolling-origin backtest (4 windows × 28 days): MASE / sMAPE per model family against
  seasonal-naive.

``MINSHENG_BENCH_TAG`` (e.g. ``10m``) is added to the result file's name when one figure is measured on
several cities.

Run: ``.venv/bin/python bench/insight_bench.py [--only real_forecast,real_cases,planted,lake_cases,…]``.
The real data is read from ``../shared/data/real/tipdm2020`` and never copied.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
REAL = Path(os.environ.get("MINSHENG_REAL_DATA", ROOT.parent / "shared" / "data" / "real")) / "tipdm2020"
RESULTS = ROOT / "bench" / "results"
THREADS = ("丽发新城", "伊景园", "魅力之城", "58车贷")


def real_forecast(spark) -> dict:
    import pandas as pd

    from models.forecast import backtest
    from models.forecast.features import calendar_days
    from models.forecast.series import from_pandas_series

    pdf = pd.read_csv(REAL / "attachment3_daily_counts_2019-01-01_2020-01-08.csv").rename(columns={"date": "ds", "count": "y"})
    series = from_pandas_series(spark, pdf, "real:tipdm", "real").cache()
    first, last = dt.date.fromisoformat(pdf.ds.min()), dt.date.fromisoformat(pdf.ds.max())
    # ref_calendar starts in 2020: 2019's holidays are not in it, so the weekday rule is used
    days = calendar_days(None, spark, first, last + dt.timedelta(days=60)).cache()
    t = time.time()
    _, res = backtest.run_backtest(series, days, horizon=28, windows=4, families=("gbt", "ets", "mstl"))
    return {"series": "tipdm2020 附件3 daily counts", "days": len(pdf), "horizon": 28, "windows": 4,
            "origins": res["origins"], "families": res["summary"]["real"], "seconds": round(time.time() - t, 1)}


def real_cases(spark) -> dict:
    import pandas as pd
    from pyspark.sql import functions as F

    from models.cases import cluster, dedup, text

    p = pd.read_csv(REAL / "attachment3_hotspot_messages.csv")
    p = pd.DataFrame({"doc_id": p["留言编号"].astype(str), "text": p["留言主题"] + "。" + p["留言详情"].fillna(""),
                      "accept_time": pd.to_datetime(p["留言时间"])})
    t = time.time()
    docs = spark.createDataFrame(p).select(
        "*", F.lit(None).cast("string").alias("group_key"), F.lit(None).cast("string").alias("district_code"),
        F.lit(None).cast("string").alias("category_code"))
    docs = text.cluster_terms(text.shingles(docs)).cache()
    pairs = dedup.similar_pairs(docs, 0.5).cache()
    cfg = cluster.ClusterConfig(max_days=400)  # one year of messages without categories: no time limit
    members = cluster.clusters(docs, pairs, cfg).cache()
    desc = cluster.describe(docs, members).orderBy(F.desc("size")).limit(10).toPandas()
    mp = members.toPandas().merge(p, on="doc_id", how="right")
    threads = {}
    for k in THREADS:
        sub = mp[mp.text.str.contains(k, regex=False)]
        top = sub.cluster_id.value_counts()
        if len(top):
            cid = top.index[0]
            size = int((mp.cluster_id == cid).sum())
            threads[k] = {"posts": len(sub), "in_main_cluster": int(top.iloc[0]), "main_cluster_size": size,
                          "share_of_posts": round(top.iloc[0] / len(sub), 3),
                          "cluster_purity": round(top.iloc[0] / size, 3), "clusters_touched": int(len(top))}
        else:
            threads[k] = {"posts": len(sub), "in_main_cluster": 0}
    return {
        "messages": len(p), "near_duplicate_pairs": pairs.count(),
        "clustered_messages": int(mp.cluster_id.notna().sum()), "clusters": int(mp.cluster_id.nunique()),
        "top_clusters": [{"label": r.label, "size": int(r["size"]), "first": str(r.first_date), "last": str(r.last_date)}
                         for _, r in desc.iterrows()],
        "known_threads": threads, "config": cfg.as_dict(), "seconds": round(time.time() - t, 1),
    }


def planted(spark) -> dict:
    from models.cases.job import compute as cases_compute
    from models.cases.job import evaluate as cases_evaluate
    from models.warning.evaluate import score
    from models.warning.job import compute as warn_compute
    from tests.models.insight import city

    orders, incidents = city.build()
    o, i = city.to_spark(spark, orders, incidents)
    o = o.cache()
    start, end = city.START + dt.timedelta(days=70), city.START + dt.timedelta(days=city.DAYS - 1)
    t = time.time()
    w = warn_compute(o, start, end).cache()
    warn = score(w, i, start, end, warmup_days=0)
    out = cases_compute(o)
    cases = cases_evaluate(out["members"], out["suggestions"], o, i)
    return {"orders": len(orders), "warning": warn, "cases": cases, "seconds": round(time.time() - t, 1),
            "note": "small planted city of tests/models/insight/city.py, not the 10 M-order generator city"}


def lake_cases(spark) -> dict:
    from pyspark.sql import functions as F

    from jobs.common.catalogue import Catalogue
    from jobs.ops.tasks import CASES_WINDOW_DAYS
    from models.cases.job import compute, evaluate, place_names

    cat = Catalogue()
    silver = cat.read(spark, "dwd_work_order")
    to = os.environ.get("MINSHENG_BENCH_CASES_TO")
    to = dt.date.fromisoformat(to) if to else silver.agg(F.max("accept_date")).first()[0]
    first = to - dt.timedelta(days=CASES_WINDOW_DAYS - 1)
    orders = silver.where(F.col("accept_date").between(F.lit(first), F.lit(to))).cache()
    n = orders.count()
    t = time.time()
    out = compute(orders, as_of=to, place_names=place_names(spark, cat))
    members = out["members"].cache()
    clusters = out["clusters"].cache()
    clusters.count()
    seconds = round(time.time() - t, 1)
    gt = cat.read(spark, "gt_incidents")
    quality = evaluate(members, out["suggestions"], orders, gt)
    sizes = clusters.select("size").toPandas()["size"]
    top = clusters.orderBy(F.desc("size"), "cluster_id").limit(10).toPandas()
    inc = gt.select("incident_id", "type", F.explode("order_ids").alias("source_order_id")).join(
        orders.select("order_id", "source_order_id"), "source_order_id").join(members, "order_id", "left").toPandas()
    described = clusters.where(F.col("cluster_id").isin(*inc.cluster_id.dropna().unique().tolist())).select(
        "cluster_id", "label", "size").toPandas().set_index("cluster_id")
    incidents = []
    for (iid, kind), g in inc.groupby(["incident_id", "type"]):
        main = g.cluster_id.value_counts()
        row = {"incident": iid, "type": kind, "orders": len(g), "clustered": int(g.cluster_id.notna().sum())}
        if len(main):
            c = described.loc[main.index[0]]
            row.update(main_cluster_orders=int(main.iloc[0]), main_cluster_size=int(c["size"]), label=c["label"])
        incidents.append(row)
    return {"window": f"{first}..{to}", "orders": n, "seconds": seconds, "clusters": int(len(sizes)),
            "clustered_orders": int(sizes.sum()), "clustered_share": round(float(sizes.sum()) / max(n, 1), 4),
            "largest": int(sizes.max()) if len(sizes) else 0,
            "size_quantiles": {str(q): float(sizes.quantile(q)) for q in (0.5, 0.9, 0.99)} if len(sizes) else {},
            "top_clusters": [{"label": r.label, "size": int(r["size"]), "districts": len(r.districts),
                              "category": r.category_code, "first": str(r.first_date), "last": str(r.last_date)}
                             for _, r in top.iterrows()],
            "planted": quality, "incidents": incidents}


def _truth_city(spark):
    """The catalogue of the generated city in ``MINSHENG_BENCH_TRUTH`` and its true orders shaped as
    ``dwd_work_order`` (shaped once, kept in the folder), with the seconds the shaping took (None when kept)."""
    import dataclasses

    from pyspark.sql import functions as F

    from jobs.common.catalogue import Catalogue
    from jobs.common.config import load_settings
    from jobs.common.security import redact_text

    root = os.environ["MINSHENG_BENCH_TRUTH"].rstrip("/")
    cat = Catalogue(dataclasses.replace(load_settings(), lake_uri=f"{root}/lake",
                                        ground_truth_uri=f"{root}/ground_truth"))
    shaped = f"{root}/bench_silver_shaped"
    seconds_shaping = None
    if not Path(shaped, "_SUCCESS").exists():
        t = time.time()
        gt = cat.read(spark, "gt_orders")
        gt.select(
            F.col("source_order_id").alias("order_id"), "source_order_id", "accept_time",
            F.col("day").cast("date").alias("accept_date"), "district_code", "street_code", "community_code",
            F.col("l3_labelled").alias("category_l3_code"), F.substring("l3_labelled", 1, 4).alias("category_l2_code"),
            F.substring("l3_labelled", 1, 2).alias("category_l1_code"), "title",
            redact_text(F.col("content"), [F.col("caller_name")]).alias("content_redacted"),
            (F.col("t_void").isNull() & ~F.col("handling_path_code").eqNullSafe("06")).alias("is_valid"),
        ).write.mode("overwrite").parquet(shaped)
        seconds_shaping = round(time.time() - t, 1)
    return cat, spark.read.parquet(shaped), seconds_shaping


def truth_forecast(spark) -> dict:
    """Rolling-origin backtest (4 × 28 days) of every model family on a generated city's series."""
    from pyspark.sql import functions as F

    from models.forecast import backtest
    from models.forecast.features import calendar_days
    from models.forecast.job import build_series

    cat, orders, _ = _truth_city(spark)
    first, last = orders.agg(F.min("accept_date"), F.max("accept_date")).first()
    series = build_series(orders, first, last).cache()
    calendar = cat.read(spark, "ref_calendar") if cat.exists(spark, "ref_calendar") else None
    days = calendar_days(calendar, spark, first, last + dt.timedelta(days=60)).cache()
    t = time.time()
    _, res = backtest.run_backtest(series, days, horizon=28, windows=4, families=("gbt", "ets", "mstl"))
    return {"orders": orders.count(), "days": f"{first}..{last}", "series": series.select("series_id").distinct().count(),
            "horizon": 28, "windows": 4, "origins": res["origins"], "by_level": res["summary"],
            "seconds": round(time.time() - t, 1),
            "note": "the generator's true orders shaped as silver (recorded category), not a silver built by the pipeline"}


def truth_warnings(spark) -> dict:
    from pyspark.sql import functions as F

    from models.warning.evaluate import incidents_frame, score, true_episodes
    from models.warning.job import LOOKBACK_DAYS, compute

    cat, orders, seconds_shaping = _truth_city(spark)
    first, last = orders.agg(F.min("accept_date"), F.max("accept_date")).first()
    date_from = first + dt.timedelta(days=LOOKBACK_DAYS)
    t = time.time()
    # kept beside the city (bench_warnings/) so that the false alarms can be looked at afterwards
    kept = f"{os.environ['MINSHENG_BENCH_TRUTH'].rstrip('/')}/bench_warnings"
    compute(orders, date_from, last).write.mode("overwrite").parquet(kept)
    seconds = round(time.time() - t, 1)
    warnings = spark.read.parquet(kept).cache()
    n = warnings.count()
    gt_inc = cat.read(spark, "gt_incidents")
    metrics = score(warnings, gt_inc, date_from, last, warmup_days=0)
    by_kind = {}
    for kind in sorted(r[0] for r in warnings.select("kind").distinct().collect()):
        m = score(warnings.where(F.col("kind") == kind), gt_inc, date_from, last, warmup_days=0)
        by_kind[kind] = {k: m[k] for k in ("detected", "warning_episodes", "true_episodes", "precision",
                                           "median_lead_days")}
    true_eps = true_episodes(warnings, incidents_frame(gt_inc)).withColumn("true", F.lit(1))
    by_level = {f"{r['kind']} {r['level']}": {"episodes": r["episodes"], "true": r["true"]}
                for r in warnings.select("episode_id", "kind", "level").distinct().join(true_eps, "episode_id", "left")
                .groupBy("kind", "level").agg(F.count(F.lit(1)).alias("episodes"),
                                              F.count("true").alias("true")).collect()}
    return {"orders": orders.count(), "window": f"{date_from}..{last}", "warning_rows": n,
            "seconds_warnings": seconds, "seconds_shaping_with_redaction": seconds_shaping, "scored": metrics, "by_kind": by_kind,
            "episodes_by_kind_level": by_level,
            "note": "the generator's true orders shaped as silver (recorded category, redacted text), not a silver "
                    "built by the pipeline"}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--only", default="real_forecast,real_cases,planted")
    args = ap.parse_args()
    os.environ.setdefault("MINSHENG_PROFILE", "test")
    os.environ.setdefault("MINSHENG_WORK_URI", str(ROOT / "var" / "bench" / "insight"))
    from jobs.common.config import load_settings
    from jobs.common.session import get_spark

    spark = get_spark(load_settings(), app_name="minsheng-insight-bench")
    RESULTS.mkdir(parents=True, exist_ok=True)
    for name in args.only.split(","):
        fig = {"real_forecast": real_forecast, "real_cases": real_cases, "planted": planted,
               "lake_cases": lake_cases, "truth_warnings": truth_warnings, "truth_forecast": truth_forecast}[name](spark)
        fig["measured_at"] = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        fig["machine"] = f"{os.cpu_count()} cores, shared (load average {os.getloadavg()[0]:.1f})"
        # MINSHENG_BENCH_TAG names the city when one figure is measured on several (60k, 10m)
        tag = os.environ.get("MINSHENG_BENCH_TAG")
        path = RESULTS / (f"insight_{name}_{tag}.json" if tag else f"insight_{name}.json")
        path.write_text(json.dumps(fig, ensure_ascii=False, indent=1, default=str) + "\n", encoding="utf-8")
        print(f"{name}: {json.dumps(fig, ensure_ascii=False, default=str)[:400]}")
    spark.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

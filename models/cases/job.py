"""类案 job: 并单 suggestions and 类案 clusters over the orders of a date range (+ scoring)."""

from __future__ import annotations

import datetime as dt
import json
import logging
from typing import Any

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from jobs.common.config import Settings
from models.cases import cluster, dedup, text

log = logging.getLogger(__name__)

DEDUP_SIMILARITY = 0.5


def documents(orders: DataFrame, place_names: list[str] | None = None) -> DataFrame:
    """Order text as documents: ``doc_id, text, accept_time, district_code, group_key, category_code``,
    ``shingles`` (4-grams, for MinHash) and ``terms`` (3/4-grams, for clustering).

    The clustering terms leave out the city's place names (``place_names``: districts, streets, roads,
    communities, estates): two orders of one category that name the same street are neighbours, not a
    class of cases (on 30 days of a city at the demo's density, leaving them out took the share of
    orders in clusters from 39 % to 34 %). The near-duplicate shingles keep them (the same place is
    evidence of the same event for 并单).
    """
    docs = orders.select(
        F.col("order_id").alias("doc_id"), text.order_text().alias("text"), "accept_time", "district_code",
        F.col("category_l2_code").alias("group_key"), F.col("category_l3_code").alias("category_code"),
    )
    return text.cluster_terms(text.shingles(docs), drop=text.names_pattern(place_names or []))


def place_names(spark, cat) -> list[str]:
    """The reference city's place names (districts, streets and their roads, communities and their estates);
    none from a reference table the lake does not hold (logged)."""
    names: list[str] = []
    for table, cols in (("ref_district", ["district_name"]), ("ref_street", ["street_name", "roads"]),
                        ("ref_community", ["community_name", "estates"])):
        if not cat.exists(spark, table):
            log.warning("cases: %s is not in the lake; its place names stay in the clustering terms", table)
            continue
        for row in cat.read(spark, table).select(*cols).collect():
            for value in row:
                names.extend(x for x in (value or "").split(";") if x)
    return names


def compute(orders: DataFrame, cfg: cluster.ClusterConfig | None = None, as_of: dt.date | None = None,
            min_similarity: float = DEDUP_SIMILARITY, place_names: list[str] | None = None) -> dict[str, Any]:
    """``suggestions``, ``members`` and ``clusters`` frames for the given orders (``place_names``: see
    :func:`documents`), with the near-duplicate ``pairs``. ``cached`` lists the frames this keeps in
    memory, for the caller to unpersist when it is done with the others."""
    cfg = cfg or cluster.ClusterConfig()
    docs = documents(orders, place_names).cache()
    # near-duplicates are looked for where 并单 can use them (one district, a few days); they also link
    # documents for clustering, whose own pairs find the rest (near-duplicates share distinctive shingles)
    pairs = dedup.similar_pairs(docs, min_similarity, max_days=dedup.MERGE_MAX_DAYS, same=("district_code",)).cache()
    suggestions = dedup.merge_suggestions(docs, pairs)
    members = cluster.clusters(docs, pairs, cfg).cache()
    described = cluster.describe(docs, members, as_of)
    return {"suggestions": suggestions, "members": members.withColumnRenamed("doc_id", "order_id"),
            "clusters": described, "pairs": pairs, "cached": [docs, pairs, members]}


def evaluate(members: DataFrame, suggestions: DataFrame, orders: DataFrame, gt_incidents: DataFrame) -> dict[str, Any]:
    """Purity and ARI of the clusters over the orders of planted class cases and duplicate storms,
    and the share of duplicate-storm orders that got a 并单 suggestion inside their storm."""
    from sklearn.metrics import adjusted_rand_score

    planted = gt_incidents.where(F.col("type").isin("class_case_prepaid", "duplicate_storm")).select(
        "incident_id", "type", F.explode("order_ids").alias("source_order_id")
    ).distinct()
    truth = planted.join(orders.select("order_id", "source_order_id"), "source_order_id")
    pdf = truth.join(members, "order_id", "left").select("order_id", "incident_id", "type", "cluster_id").toPandas()
    if pdf.empty:
        return {"planted_orders": 0}
    pdf["pred"] = pdf["cluster_id"].fillna("single:" + pdf["order_id"])
    purity_num = pdf.groupby("pred")["incident_id"].agg(lambda s: s.value_counts().iloc[0]).sum()
    # share of each incident's orders in its biggest cluster (how "one cluster" it came out)
    in_cluster = pdf[pdf.cluster_id.notna()]
    biggest = in_cluster.groupby("incident_id")["cluster_id"].agg(lambda s: s.value_counts().iloc[0])
    completeness = (biggest.reindex(pdf.incident_id.unique()).fillna(0) / pdf.groupby("incident_id").size()).mean()
    # the other side: how much of each incident's main cluster is that incident (not background that
    # chained onto it), and how big clusters get — purity and ARI above only look at planted orders
    sizes = members.groupBy("cluster_id").agg(F.count(F.lit(1)).alias("size")).toPandas().set_index("cluster_id")["size"]
    main = in_cluster.groupby("incident_id")["cluster_id"].agg(lambda s: s.value_counts().index[0])
    precision = (biggest / sizes.reindex(main.values).to_numpy()).mean() if len(main) else float("nan")
    storm = truth.where(F.col("type") == "duplicate_storm").select("order_id", "incident_id")
    sug = suggestions.join(storm, "order_id").join(
        storm.select(F.col("order_id").alias("merge_into_id"), F.col("incident_id").alias("target_inc")), "merge_into_id"
    ).where(F.col("incident_id") == F.col("target_inc")).count()
    n_storm = storm.count()
    masters = storm.select("incident_id").distinct().count()
    return {
        "planted_orders": len(pdf),
        "incidents": int(pdf.incident_id.nunique()),
        "purity": float(purity_num / len(pdf)),
        "ari": float(adjusted_rand_score(pdf["incident_id"], pdf["pred"])),
        "mean_share_in_main_cluster": float(completeness),
        "main_cluster_precision": float(precision),
        "clusters": int(len(sizes)),
        "clustered_orders": int(sizes.sum()),
        "largest_cluster": int(sizes.max()) if len(sizes) else 0,
        "storm_orders": n_storm,
        "storm_merge_recall": float(sug / max(1, n_storm - masters)),
    }


def run(date_from: dt.date, date_to: dt.date, settings: Settings | None = None) -> dict[str, Any]:
    """Suggestions and clusters over orders accepted in ``[date_from, date_to]``; written with
    ``run_date = date_to`` to ``gold_merge_suggestion``, ``gold_case_member`` and ``gold_case_cluster``."""
    from jobs.common import delta
    from jobs.common.catalogue import Catalogue
    from jobs.common.session import get_spark

    cat = Catalogue(settings)
    spark = get_spark(cat.settings, app_name="minsheng-cases")
    orders = cat.read(spark, "dwd_work_order").where(F.col("accept_date").between(F.lit(date_from), F.lit(date_to)))
    out = compute(orders, as_of=date_to, place_names=place_names(spark, cat))
    rd = F.lit(date_to).alias("run_date")
    where = f"run_date = '{date_to.isoformat()}'"
    summary: dict[str, Any] = {"run_date": date_to.isoformat()}
    for name, frame in (("gold_merge_suggestion", out["suggestions"]), ("gold_case_member", out["members"]),
                        ("gold_case_cluster", out["clusters"])):
        frame = frame.select(rd, *frame.columns)
        delta.overwrite(frame, cat, name, replace_where=where)
        summary[name] = {"rows": cat.read(spark, name).where(where).count(),
                         "version": delta.current_version(spark, cat, name)}
    if cat.exists(spark, "gt_incidents"):
        summary["evaluation"] = evaluate(out["members"], out["suggestions"], orders, cat.read(spark, "gt_incidents"))
        _log_mlflow(cat.settings, summary)
    for frame in out["cached"]:
        frame.unpersist()
    log.info("cases: %s", json.dumps(summary, default=str, ensure_ascii=False))
    return summary


def _log_mlflow(settings: Settings, summary: dict) -> None:
    import mlflow

    from models.common import tracking

    client = tracking.configure(settings)
    exp = tracking.ensure_experiment(client, settings, "cases", "planted_incidents")
    with mlflow.start_run(experiment_id=exp, run_name=f"cases {summary['run_date']}"):
        mlflow.log_params(cluster.ClusterConfig().as_dict())
        mlflow.log_metrics({k: float(v) for k, v in summary["evaluation"].items() if isinstance(v, (int, float))})

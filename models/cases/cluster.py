"""类案 clustering: documents that share several *distinctive* shingles, within category and time limits.

Paraphrases of one issue by different callers share little text overall (low Jaccard), but they share
the few specific n-grams that name it (an estate, a company, a site: "丽发新城", "搅拌站"). Each
document keeps its ``top_k`` rarest shingles among those seen in ``min_df..max_df`` documents; documents
are blocked by shingle, pairs sharing ``>= min_shared`` of them (and the same category group, and
accept times at most ``max_days`` apart) become edges, and clusters are the connected components of the
edges together with the MinHash near-duplicate pairs.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F


@dataclass(frozen=True)
class ClusterConfig:
    top_k: int = 24
    min_df: int = 4
    max_df_share: float = 0.02
    max_df_floor: int = 70
    min_shared: int = 4
    max_days: int = 30
    min_size: int = 3
    key_share: float = 0.8
    key_max_components: int = 8
    max_iterations: int = 30

    def as_dict(self) -> dict:
        return asdict(self)


def distinctive(docs: DataFrame, cfg: ClusterConfig) -> DataFrame:
    """``doc_id, shingle, df``: each document's ``top_k`` rarest terms (3/4-grams) within the df band."""
    n_docs = docs.count()
    max_df = max(cfg.max_df_floor, int(cfg.max_df_share * n_docs))
    exploded = docs.select("doc_id", F.explode("terms").alias("shingle"))
    df = exploded.groupBy("shingle").agg(F.count(F.lit(1)).alias("df")).where(
        F.col("df").between(cfg.min_df, max_df)
    )
    ranked = exploded.join(df, "shingle").withColumn(
        "r", F.row_number().over(Window.partitionBy("doc_id").orderBy("df", "shingle"))
    )
    return ranked.where(F.col("r") <= cfg.top_k).select("doc_id", "shingle", "df")


def shared_pairs(docs: DataFrame, cfg: ClusterConfig) -> DataFrame:
    """``a, b, shared``: documents with ``>= min_shared`` common distinctive shingles, same group, close in time.

    ``docs`` needs ``doc_id, terms, group_key, accept_time`` (``group_key`` null joins any group).
    """
    d = distinctive(docs, cfg)
    meta = docs.select("doc_id", "group_key", "accept_time")
    left = d.join(meta, "doc_id").select(F.col("doc_id").alias("a"), "shingle", F.col("group_key").alias("ga"),
                                          F.col("accept_time").alias("ta"))
    right = d.join(meta, "doc_id").select(F.col("doc_id").alias("b"), "shingle", F.col("group_key").alias("gb"),
                                           F.col("accept_time").alias("tb"))
    j = left.join(right, "shingle").where(F.col("a") < F.col("b"))
    same_group = F.col("ga").isNull() | F.col("gb").isNull() | (F.col("ga") == F.col("gb"))
    close = F.abs(F.unix_timestamp("ta") - F.unix_timestamp("tb")) <= cfg.max_days * 86400
    return j.where(same_group & close).groupBy("a", "b").agg(F.count(F.lit(1)).alias("shared")).where(
        F.col("shared") >= cfg.min_shared
    )


def connected_components(nodes: DataFrame, edges: DataFrame, max_iterations: int = 30) -> DataFrame:
    """``doc_id, component`` (the smallest ``doc_id`` of its component) by min-label propagation."""
    und = edges.select("a", "b").unionByName(edges.select(F.col("b").alias("a"), F.col("a").alias("b"))).localCheckpoint()
    labels = nodes.select("doc_id", F.col("doc_id").alias("component")).localCheckpoint()
    for _ in range(max_iterations):
        proposed = und.join(labels.withColumnRenamed("doc_id", "b"), "b").groupBy("a").agg(
            F.min("component").alias("cand")
        )
        new = labels.join(proposed.withColumnRenamed("a", "doc_id"), "doc_id", "left").select(
            "doc_id", F.least("component", F.coalesce("cand", "component")).alias("component")
        ).localCheckpoint()
        changed = new.join(labels.withColumnRenamed("component", "old"), "doc_id").where(
            F.col("component") != F.col("old")
        ).limit(1).count()
        labels = new
        if not changed:
            break
    return labels


def clusters(docs: DataFrame, near_dup_pairs: DataFrame | None, cfg: ClusterConfig) -> DataFrame:
    """``doc_id, cluster_id`` for documents in components of at least ``min_size`` documents."""
    edges = shared_pairs(docs, cfg).select("a", "b")
    if near_dup_pairs is not None:
        edges = edges.unionByName(near_dup_pairs.select("a", "b"))
    comp = connected_components(docs.select("doc_id"), edges.distinct(), cfg.max_iterations)
    comp = merge_by_key_terms(docs, comp, cfg)
    sizes = comp.groupBy("component").agg(F.count(F.lit(1)).alias("size"))
    kept = comp.join(sizes.where(F.col("size") >= cfg.min_size), "component")
    return kept.select("doc_id", F.concat(F.lit("CC-"), F.col("component")).alias("cluster_id"))


def merge_by_key_terms(docs: DataFrame, comp: DataFrame, cfg: ClusterConfig) -> DataFrame:
    """Second pass: join components that share a *key term* — a distinctive 4-gram found in at least
    ``key_share`` of the documents of each — within the same category group.

    Different callers describe one issue in their own words; the first pass groups each wording, this
    pass joins the wordings through the name they all carry (an estate, a company).
    """
    n_docs = docs.count()
    max_df = max(cfg.max_df_floor, int(cfg.max_df_share * n_docs))
    g4 = docs.select("doc_id", "group_key", F.explode(F.filter("terms", lambda t: F.length(t) == 4)).alias("term"))
    df = g4.groupBy("term").agg(F.count(F.lit(1)).alias("df")).where(F.col("df").between(cfg.min_df, max_df))
    sizes = comp.groupBy("component").agg(F.count(F.lit(1)).alias("csize")).where(F.col("csize") >= cfg.min_size)
    per = g4.join(df, "term").join(comp, "doc_id").join(sizes, "component").groupBy(
        "component", "term", "csize").agg(F.count(F.lit(1)).alias("n"), F.first("group_key").alias("g"))
    keys = per.where(F.col("n") >= cfg.key_share * F.col("csize")).select("component", "term", "g")
    # a term that is key to many components is generic wording, not the name of one issue
    spread = keys.groupBy("term").agg(F.count(F.lit(1)).alias("k")).where(F.col("k") <= cfg.key_max_components)
    keys = keys.join(spread.select("term"), "term")
    pairs = keys.alias("x").join(keys.alias("y"), "term").where(
        (F.col("x.component") < F.col("y.component"))
        & (F.col("x.g").isNull() | F.col("y.g").isNull() | (F.col("x.g") == F.col("y.g")))
    ).select(F.col("x.component").alias("a"), F.col("y.component").alias("b")).distinct()
    nodes = comp.select(F.col("component").alias("doc_id")).distinct()
    top = connected_components(nodes, pairs, cfg.max_iterations).select(
        F.col("doc_id").alias("old"), F.col("component").alias("new"))
    return comp.join(top, comp["component"] == top["old"], "left").select(
        "doc_id", F.coalesce(F.col("new"), F.col("component")).alias("component"))


def describe(docs: DataFrame, members: DataFrame, as_of=None, top_terms: int = 5) -> DataFrame:
    """Per cluster: label (its most shared distinctive shingles), size, dates, growth, districts, category.

    ``growth`` is the orders of the last 7 days up to ``as_of`` (default: the cluster's last day)
    divided by the 7 days before (+1 to both).
    """
    m = members.join(docs, "doc_id")
    ex = m.select("cluster_id", "doc_id", F.explode("shingles").alias("shingle"))
    counts = ex.groupBy("cluster_id", "shingle").agg(F.count(F.lit(1)).alias("n"))
    # shingles frequent inside the cluster but rare overall make the label
    df_all = docs.select(F.explode("shingles").alias("shingle")).groupBy("shingle").agg(F.count(F.lit(1)).alias("df"))
    scored = counts.join(df_all, "shingle").withColumn("w", F.col("n") * F.col("n") / F.col("df"))
    top = scored.withColumn("r", F.row_number().over(Window.partitionBy("cluster_id").orderBy(F.desc("w"), "shingle")))
    label = top.where(F.col("r") <= top_terms).groupBy("cluster_id").agg(
        F.array_join(F.transform(F.array_sort(F.collect_list(F.struct("r", "shingle"))), lambda s: s["shingle"]),
                     "、").alias("label")
    )
    day = F.to_date("accept_time")
    last_day = F.lit(as_of) if as_of is not None else F.max(day)
    stats = m.groupBy("cluster_id").agg(
        F.count(F.lit(1)).alias("size"),
        F.min(day).alias("first_date"),
        F.max(day).alias("last_date"),
        F.array_sort(F.collect_set("district_code")).alias("districts"),
        F.mode("category_code").alias("category_code"),
        F.collect_list(day).alias("_days"),
        last_day.alias("_asof"),
    )
    recent = F.size(F.filter("_days", lambda d: F.datediff(F.col("_asof"), d).between(0, 6)))
    before = F.size(F.filter("_days", lambda d: F.datediff(F.col("_asof"), d).between(7, 13)))
    return stats.join(label, "cluster_id", "left").select(
        "cluster_id", F.coalesce("label", F.lit("")).alias("label"), "size", "first_date", "last_date",
        "districts", "category_code",
        recent.alias("orders_last_7d"), ((recent + 1.0) / (before + 1.0)).alias("growth"),
    )

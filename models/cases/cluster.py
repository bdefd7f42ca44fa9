"""类案 clustering: documents that share several *distinctive* shingles, within category and time limits.

Paraphrases of one issue by different callers share little text overall (low Jaccard), but they share
the few specific n-grams that name it (an estate, a company, a site: "丽发新城", "搅拌站"). Each
document keeps its ``top_k`` rarest shingles among those seen in ``min_df..max_df`` documents of its category group; documents
are blocked by shingle, pairs sharing ``>= min_shared`` of them (and the same category group, and
accept times at most ``max_days`` apart) become edges, and clusters are the connected components of the
edges together with the MinHash near-duplicate pairs.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

from models.cases.pairs import self_join


@dataclass(frozen=True)
class ClusterConfig:
    top_k: int = 24
    min_df: int = 4
    max_df_share: float = 0.02
    max_df_floor: int = 70
    min_shared: int = 4
    max_links: int = 5
    max_days: int = 30
    min_size: int = 3
    key_share: float = 0.8
    key_max_components: int = 8
    max_iterations: int = 30

    def as_dict(self) -> dict:
        return asdict(self)


def _group() -> Column:
    """A document's category group; documents without a ``group_key`` form the group ``""``."""
    return F.coalesce("group_key", F.lit(""))


def distinctive(docs: DataFrame, cfg: ClusterConfig) -> DataFrame:
    """``doc_id, group, shingle, df``: each document's ``top_k`` rarest terms (3/4-grams) of its group.

    Document frequency is counted within the document's category group (``group_key``; documents
    without one form a group ``""``), and a term found in more than ``max_df_share`` of the group's
    documents (but at least ``max_df_floor``) is how that category is worded, not the name of one
    issue: in the demo city's 90 days such template phrases ("吵得睡不", "燃气泄漏") are in 15–40 % of their
    group and, counted over the whole corpus, chained every group into one component.
    """
    group = _group().alias("group")
    exploded = docs.select("doc_id", group, F.explode("terms").alias("shingle"))
    sizes = docs.groupBy(group).agg(F.count(F.lit(1)).alias("n_group"))
    max_df = F.greatest(F.lit(cfg.max_df_floor), F.floor(F.col("n_group") * cfg.max_df_share))
    df = exploded.groupBy("group", "shingle").agg(F.count(F.lit(1)).alias("df")).join(F.broadcast(sizes), "group").where(
        F.col("df").between(F.lit(cfg.min_df), max_df)
    )
    ranked = exploded.join(df, ["group", "shingle"]).withColumn(
        "r", F.row_number().over(Window.partitionBy("doc_id").orderBy("df", "shingle"))
    )
    return ranked.where(F.col("r") <= cfg.top_k).select("doc_id", "group", "shingle", "df")


def shared_pairs(docs: DataFrame, cfg: ClusterConfig) -> DataFrame:
    """``a, b, shared``: documents with ``>= min_shared`` common distinctive shingles, same group, close in
    time, each among the other's ``max_links`` strongest such links.

    ``docs`` needs ``doc_id, terms, group_key, accept_time``; documents without a ``group_key`` form one
    group of their own. The self-join is blocked by shingle, group and ``max_days`` period, and runs on
    64-bit hashes of the ids (the pairs are the biggest shuffle of the step).
    """
    d = distinctive(docs, cfg)
    meta = docs.select("doc_id", F.xxhash64("doc_id").alias("n"), "accept_time")
    # both sides of the self-join read these rows: computed once (the ranking window is the costly part)
    rows = d.join(meta, "doc_id").select(F.col("n").alias("doc_id"), "shingle", "group", "accept_time").localCheckpoint()
    counted = self_join(rows, ["shingle", "group"], cfg.max_days).groupBy("a", "b").agg(
        F.count(F.lit(1)).alias("shared")).where(F.col("shared") >= cfg.min_shared)
    # mutual nearest links only: a pair is kept when each is among the other's max_links strongest.
    # All pairs over min_shared chain a city's orders through shared place names into a few
    # components of tens of thousands (the demo city's 90 days: 8 M pairs for 252 k orders)
    both = counted.unionByName(counted.select(F.col("b").alias("a"), F.col("a").alias("b"), "shared"))
    strongest = both.withColumn("r", F.row_number().over(Window.partitionBy("a").orderBy(F.desc("shared"), "b"))).where(
        F.col("r") <= cfg.max_links)
    mutual = strongest.groupBy(F.least("a", "b").alias("a"), F.greatest("a", "b").alias("b")).agg(
        F.count(F.lit(1)).alias("ends"), F.max("shared").alias("shared")).where(F.col("ends") == 2)
    ids = meta.select("n", "doc_id")
    return mutual.join(ids.toDF("a", "id_a"), "a").join(ids.toDF("b", "id_b"), "b").select(
        F.col("id_a").alias("a"), F.col("id_b").alias("b"), "shared")


def connected_components(nodes: DataFrame, edges: DataFrame, max_iterations: int = 30) -> DataFrame:
    """``doc_id, component`` (the smallest ``doc_id`` of its component).

    Alternating large-star and small-star rounds (Kiveris et al., "Connected components in MapReduce
    and beyond", 2014) turn every component into a star around its smallest node in about log n
    rounds. Min-label propagation needs as many rounds as a component is wide, and 类案 components in
    a city's 90 days are chains of hundreds of orders.
    """
    star = edges.select(F.least("a", "b").alias("a"), F.greatest("a", "b").alias("b")).where(
        F.col("a") != F.col("b")).distinct().localCheckpoint()
    n_edges = star.count()
    for _ in range(max_iterations):
        new = _small_star(_large_star(star)).localCheckpoint()
        n_new = new.count()
        same = n_new == n_edges and new.subtract(star).limit(1).count() == 0
        star, n_edges = new, n_new
        if same:
            break
    centre = star.groupBy("b").agg(F.min("a").alias("component"))
    return nodes.join(centre.withColumnRenamed("b", "doc_id"), "doc_id", "left").select(
        "doc_id", F.coalesce("component", "doc_id").alias("component"))


def _neighbours(edges: DataFrame) -> DataFrame:
    return edges.select(F.col("a").alias("u"), F.col("b").alias("v")).unionByName(
        edges.select(F.col("b").alias("u"), F.col("a").alias("v")))


def _large_star(edges: DataFrame) -> DataFrame:
    """Each node's larger neighbours are linked to the smallest node of its closed neighbourhood."""
    nb = _neighbours(edges)
    low = nb.groupBy("u").agg(F.least(F.min("v"), F.col("u")).alias("m"))
    return nb.where(F.col("v") > F.col("u")).join(low, "u").select(F.col("m").alias("a"), F.col("v").alias("b")).distinct()


def _small_star(edges: DataFrame) -> DataFrame:
    """Each node and its smaller neighbours are linked to the smallest of them."""
    smaller = _neighbours(edges).where(F.col("v") < F.col("u"))
    low = smaller.groupBy("u").agg(F.min("v").alias("m"))
    others = smaller.join(low, "u").where(F.col("v") != F.col("m")).select(F.col("m").alias("a"), F.col("v").alias("b"))
    return others.unionByName(low.select(F.col("m").alias("a"), F.col("u").alias("b"))).distinct()


def clusters(docs: DataFrame, near_dup_pairs: DataFrame | None, cfg: ClusterConfig) -> DataFrame:
    """``doc_id, cluster_id`` for documents in components of at least ``min_size`` documents."""
    edges = shared_pairs(docs, cfg).select("a", "b")
    if near_dup_pairs is not None:
        # near-duplicates of different categories (generic consultation wording) would join groups
        group = docs.select("doc_id", _group().alias("g"))
        same = near_dup_pairs.join(group.toDF("a", "ga"), "a").join(group.toDF("b", "gb"), "b").where(
            F.col("ga") == F.col("gb"))
        edges = edges.unionByName(same.select("a", "b"))
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

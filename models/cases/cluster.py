"""类案 clustering: documents that share several *distinctive* shingles, within category and time limits.

Paraphrases of one issue by different callers share little text overall (low Jaccard), but they share
the few specific n-grams that name it (an estate, a company, a site: "丽发新城", "搅拌站"). Each
document keeps its ``top_k`` rarest shingles among those seen in ``min_df..max_df`` documents of its category group; documents
are blocked by shingle, pairs sharing ``>= min_shared`` of them (and the same category group, and
accept times at most ``max_days`` apart) become edges, and clusters are the connected components of the
edges together with the MinHash near-duplicate pairs — split until each is *cohesive*: most of its
documents carry one key term that few orders of their category carry (see :func:`cohesive_components`).
Templated text chains a city's orders, and a component of thousands held together by weak links, or
one held together by how its category is worded, is not a class of cases.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

from models.cases.pairs import self_join
from models.cases.text import explode_terms, known_terms


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
    #: a cluster is accepted when at least this share of its documents carry one distinctive term
    min_cohesion: float = 0.6
    #: ... and that term is in at most this share of the documents of its category (``category_code``):
    #: a phrase most of a category's orders carry is how that category is worded, whatever the group
    key_max_share: float = 0.2
    #: the link threshold rises by this step inside components that are not cohesive ...
    shared_step: int = 2
    #: ... up to this many shared terms; components still loose there are not 类案
    max_shared: int = 12

    def as_dict(self) -> dict:
        return asdict(self)


def _group() -> Column:
    """A document's category group; documents without a ``group_key`` form the group ``""``."""
    return F.coalesce("group_key", F.lit(""))


def group_terms(docs: DataFrame, cfg: ClusterConfig) -> DataFrame:
    """``doc_id, group, shingle, df``: every term (3/4-gram) of a document whose document frequency within
    the document's category group lies in ``min_df..max_df``.

    Document frequency is counted within the category group (``group_key``; documents without one
    form a group ``""``), and a term found in more than ``max_df_share`` of the group's documents (but
    at least ``max_df_floor``) is how that category is worded, not the name of one issue: in the demo
    city's 90 days such template phrases ("吵得睡不", "燃气泄漏") are in 15–40 % of their group and,
    counted over the whole corpus, chained every group into one component.
    """
    group = _group().alias("group")
    exploded = docs.select("doc_id", group, explode_terms("terms").alias("shingle")).where(known_terms("shingle"))
    sizes = docs.groupBy(group).agg(F.count(F.lit(1)).alias("n_group"))
    max_df = F.greatest(F.lit(cfg.max_df_floor), F.floor(F.col("n_group") * cfg.max_df_share))
    df = exploded.groupBy("group", "shingle").agg(F.count(F.lit(1)).alias("df")).join(F.broadcast(sizes), "group").where(
        F.col("df").between(F.lit(cfg.min_df), max_df)
    )
    return exploded.join(df.select("group", "shingle", "df"), ["group", "shingle"])


def distinctive(docs: DataFrame, cfg: ClusterConfig, terms: DataFrame | None = None) -> DataFrame:
    """``doc_id, group, shingle, df``: each document's ``top_k`` rarest terms of its group (``terms``:
    :func:`group_terms` of ``docs`` when already computed)."""
    terms = group_terms(docs, cfg) if terms is None else terms
    ranked = terms.withColumn("r", F.row_number().over(Window.partitionBy("doc_id").orderBy("df", "shingle")))
    return ranked.where(F.col("r") <= cfg.top_k).select("doc_id", "group", "shingle", "df")


def shared_pairs(docs: DataFrame, cfg: ClusterConfig, terms: DataFrame | None = None) -> DataFrame:
    """``a, b, shared``: documents with ``>= min_shared`` common distinctive shingles, same group, close in
    time, each among the other's ``max_links`` strongest such links.

    ``docs`` needs ``doc_id, terms, group_key, accept_time``; documents without a ``group_key`` form one
    group of their own. The self-join is blocked by shingle, group and ``max_days`` period, and runs on
    64-bit hashes of the ids (the pairs are the biggest shuffle of the step). ``terms``: see
    :func:`distinctive`.
    """
    d = distinctive(docs, cfg, terms)
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
    """``doc_id, cluster_id`` for documents in cohesive components of at least ``min_size`` documents."""
    terms = group_terms(docs, cfg).localCheckpoint()
    edges = shared_pairs(docs, cfg, terms)
    if near_dup_pairs is not None:
        # near-duplicates of different categories (generic consultation wording) would join groups;
        # a near-duplicate link is as strong as a link can be (it survives every raised threshold)
        group = docs.select("doc_id", _group().alias("g"))
        same = near_dup_pairs.join(group.toDF("a", "ga"), "a").join(group.toDF("b", "gb"), "b").where(
            F.col("ga") == F.col("gb"))
        edges = edges.unionByName(same.select("a", "b", F.lit(cfg.top_k).cast("long").alias("shared")))
    edges = edges.groupBy(F.least("a", "b").alias("a"), F.greatest("a", "b").alias("b")).agg(
        F.max("shared").alias("shared"))
    keys = key_terms(docs, terms, cfg).localCheckpoint()
    comp = cohesive_components(edges, keys, cfg)
    comp = merge_by_key_terms(docs, comp, cfg, keys)
    sizes = comp.groupBy("component").agg(F.count(F.lit(1)).alias("size"))
    kept = comp.join(sizes.where(F.col("size") >= cfg.min_size), "component")
    return kept.select("doc_id", F.concat(F.lit("CC-"), F.col("component")).alias("cluster_id"))


def key_terms(docs: DataFrame, terms: DataFrame, cfg: ClusterConfig) -> DataFrame:
    """``doc_id, shingle``: the terms of :func:`group_terms` that can name a 类案 — found in at most
    ``key_max_share`` of the documents of the document's category (``category_code``; documents without
    one form a category of their own).

    In a 30-day window of the demo city, components whose commonest term was a category's template
    phrase (燃气泄漏 in 72 % of the 燃气 orders, 人行道停 in 31 % of its category) were the biggest.
    """
    cat_of = docs.select("doc_id", F.coalesce(F.col("category_code").cast("string"), F.lit("")).alias("cat"))
    with_cat = terms.select("doc_id", "shingle").join(cat_of, "doc_id")
    n_cat = cat_of.groupBy("cat").agg(F.count(F.lit(1)).alias("n_cat"))
    df_cat = with_cat.groupBy("cat", "shingle").agg(F.count(F.lit(1)).alias("df_cat")).join(F.broadcast(n_cat), "cat")
    specific = df_cat.where(F.col("df_cat") <= F.col("n_cat") * cfg.key_max_share).select("cat", "shingle")
    return with_cat.join(specific, ["cat", "shingle"]).select("doc_id", "shingle")


def cohesion(members: DataFrame, terms: DataFrame) -> DataFrame:
    """``component, size, cohesion``: the share of a component's documents that carry its most common
    term of ``terms`` (``doc_id, shingle``: the key terms, :func:`key_terms`)."""
    sizes = members.groupBy("component").agg(F.count(F.lit(1)).alias("size"))
    per_term = terms.join(members, "doc_id").groupBy("component", "shingle").agg(F.count(F.lit(1)).alias("n"))
    top = per_term.groupBy("component").agg(F.max("n").alias("top"))
    return sizes.join(top, "component", "left").select(
        "component", "size", (F.coalesce("top", F.lit(0)) / F.col("size")).alias("cohesion"))


def cohesive_components(edges: DataFrame, terms: DataFrame, cfg: ClusterConfig) -> DataFrame:
    """``doc_id, component`` of the documents in cohesive components of at least ``min_size`` documents.

    Connected components of the links with ``>= min_shared`` shared terms; a component is kept when
    at least ``min_cohesion`` of its documents carry one common key term (the company, product or site
    the cases are about, :func:`key_terms`). Inside the others the threshold rises by ``shared_step`` and their
    documents are split again, up to ``max_shared``; what is still loose there is left out — single-
    linkage chains of templated orders, not a class of cases.

    Args:
        edges: ``a, b, shared`` (link strength: the number of shared distinctive terms).
        terms: ``doc_id, shingle``: each document's key terms (:func:`key_terms`).
    """
    kept: list[DataFrame] = []
    # each level reads the links of the one before: computed once (they come from the big self-join)
    live = edges.where(F.col("shared") >= cfg.min_shared).localCheckpoint()
    level = cfg.min_shared
    while True:
        nodes = live.select(F.col("a").alias("doc_id")).unionByName(live.select(F.col("b").alias("doc_id"))).distinct()
        comp = connected_components(nodes, live.select("a", "b"), cfg.max_iterations)
        scored = comp.join(cohesion(comp, terms).where(F.col("size") >= cfg.min_size), "component").localCheckpoint()
        kept.append(scored.where(F.col("cohesion") >= cfg.min_cohesion).select("doc_id", "component"))
        loose = scored.where(F.col("cohesion") < cfg.min_cohesion).select("doc_id")
        level += cfg.shared_step
        if level > cfg.max_shared or loose.limit(1).count() == 0:
            break
        live = live.where(F.col("shared") >= level).join(loose.toDF("a"), "a").join(loose.toDF("b"), "b").localCheckpoint()
    out = kept[0]
    for more in kept[1:]:
        out = out.unionByName(more)
    return out


def merge_by_key_terms(docs: DataFrame, comp: DataFrame, cfg: ClusterConfig, keys: DataFrame) -> DataFrame:
    """Second pass: join components whose best *key term* — a 4-gram of :func:`key_terms` (``keys``)
    found in at least ``key_share`` of the documents of each, the most widely found — is the same, within
    the same category group.

    Different callers describe one issue in their own words; the first pass groups each wording, this
    pass joins the wordings through the name they all carry (an estate, a company).
    """
    g4 = keys.where(F.length("shingle") == 4).select("doc_id", F.col("shingle").alias("term"))
    group = docs.select("doc_id", _group().alias("g"))
    sizes = comp.groupBy("component").agg(F.count(F.lit(1)).alias("csize")).where(F.col("csize") >= cfg.min_size)
    per = g4.join(comp, "doc_id").join(group, "doc_id").join(sizes, "component").groupBy(
        "component", "term", "csize").agg(F.count(F.lit(1)).alias("n"), F.first("g").alias("g"))
    found = per.where(F.col("n") >= cfg.key_share * F.col("csize")).select("component", "term", "g", "n", "csize")
    # a term that is key to many components is generic wording, not the name of one issue
    spread = found.groupBy("term").agg(F.count(F.lit(1)).alias("k")).where(F.col("k") <= cfg.key_max_components)
    found = found.join(spread, "term")
    # each component joins through its own best key term only — the most widely found in it, and of
    # those the one most components share (the name every wording carries): letting every key term link
    # (and taking connected components) chained the real 附件3 threads 丽发新城 and 58车贷 into one cluster of
    # 387 posts that carry web links, one term after another
    best = found.withColumn("r", F.row_number().over(Window.partitionBy("component").orderBy(
        F.desc(F.col("n") / F.col("csize")), F.desc("k"), "term"))).where(F.col("r") == 1)
    merged = best.withColumn("new", F.min("component").over(Window.partitionBy("term", "g"))).select(
        F.col("component").alias("old"), "new")
    return comp.join(merged, comp["component"] == merged["old"], "left").select(
        "doc_id", F.coalesce(F.col("new"), F.col("component")).alias("component"))


def describe(docs: DataFrame, members: DataFrame, as_of=None, top_terms: int = 5) -> DataFrame:
    """Per cluster: label (its most shared distinctive shingles), size, dates, growth, districts, category.

    ``growth`` is the orders of the last 7 days up to ``as_of`` (default: the cluster's last day)
    divided by the 7 days before (+1 to both).
    """
    m = members.join(docs, "doc_id")
    ex = m.select("cluster_id", "doc_id", explode_terms("shingles").alias("shingle")).where(known_terms("shingle"))
    counts = ex.groupBy("cluster_id", "shingle").agg(F.count(F.lit(1)).alias("n"))
    # shingles frequent inside the cluster but rare overall make the label
    df_all = docs.select(explode_terms("shingles").alias("shingle")).where(known_terms("shingle")).groupBy("shingle").agg(F.count(F.lit(1)).alias("df"))
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

"""Near-duplicate detection with MinHash LSH (Spark ML) on character shingles → 并单 suggestions."""

from __future__ import annotations

from pyspark.ml.feature import HashingTF, MinHashLSH
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from models.cases.pairs import self_join, within_days

NUM_FEATURES = 1 << 20


def similar_pairs(docs: DataFrame, min_similarity: float = 0.5, bands: int = 12, rows: int = 3,
                  max_days: int | None = None, same: tuple[str, ...] = (), seed: int = 17) -> DataFrame:
    """Pairs of documents whose shingle sets have Jaccard similarity ``>= min_similarity``.

    Banded MinHash: ``bands`` × ``rows`` MinHash functions (Spark ML's ``MinHashLSH`` computes them);
    two documents are candidates when all ``rows`` hashes of some band agree (AND within a band, OR
    across bands), and every candidate is checked with the exact Jaccard of its shingle sets. With 12 × 3
    a pair at Jaccard J is a candidate with probability 1 − (1 − J³)¹²: 0.80 at 0.5, 0.94 at 0.6, 1.00 at
    0.8, but 0.28 at 0.3 and 0.09 at 0.2. ``MinHashLSH.approxSimilarityJoin`` uses one hash per
    table, so on templated complaint text (pairs at 0.2–0.3 everywhere in a category) most pairs became
    candidates: a 90-day window of the demo city (252 k orders) did not finish in 8 minutes.

    Args:
        docs: ``doc_id`` and ``shingles`` (see :func:`models.cases.text.shingles`); ``accept_time`` too
            when ``max_days`` is given.
        max_days: only documents accepted at most this many days apart are compared (blocked by
            ``max_days``-long periods, so the cost grows with the window, not with its square).
        same: columns two documents must agree on to be compared (a null equals a null), e.g. the
            district for 并单: on templated complaint text a 30-day window of the demo city gave 66 M
            candidate rows across all districts.

    Returns:
        ``a, b, similarity`` with ``a < b``.
    """
    from pyspark.ml.functions import vector_to_array

    time = ["accept_time"] if max_days else []
    blocks = [F.coalesce(F.col(c).cast("string"), F.lit("")).alias(f"_same_{c}") for c in same]
    base = docs.where(F.size("shingles") > 0).select("doc_id", "shingles", *time, *blocks)
    block_cols = [f"_same_{c}" for c in same]
    vec = HashingTF(inputCol="shingles", outputCol="features", numFeatures=NUM_FEATURES, binary=True).transform(base)
    model = MinHashLSH(inputCol="features", outputCol="hashes", numHashTables=bands * rows, seed=seed).fit(vec)
    flat = model.transform(vec).select(
        "doc_id", *time, *block_cols, F.posexplode("hashes").alias("pos", "h"))
    flat = flat.select("*", F.floor(F.col("pos") / rows).alias("band"), vector_to_array("h")[0].alias("v"))
    keys = flat.groupBy("doc_id", "band", *time, *block_cols).agg(F.concat_ws(",", F.transform(
        F.array_sort(F.collect_list(F.struct("pos", "v"))), lambda x: x["v"].cast("long").cast("string"))).alias("key"))
    # a pair agreeing on several bands is checked once
    cand = self_join(keys, ["band", "key", *block_cols], max_days).select("a", "b").distinct()
    sh = base.select("doc_id", "shingles")
    scored = cand.join(sh.toDF("a", "sa"), "a").join(sh.toDF("b", "sb"), "b").select(
        "a", "b", (F.size(F.array_intersect("sa", "sb")) / F.size(F.array_union("sa", "sb"))).alias("similarity"))
    return scored.where(F.col("similarity") >= min_similarity)


#: 并单 links orders at most this many days apart, in one district
MERGE_MAX_DAYS = 3


def merge_suggestions(orders: DataFrame, pairs: DataFrame, max_days: int = MERGE_MAX_DAYS) -> DataFrame:
    """并单 suggestions: each later order of a near-duplicate pair → the earlier order.

    Args:
        orders: ``doc_id`` (= ``order_id``), ``accept_time``, ``district_code``.
        pairs: :func:`similar_pairs` output.
        max_days: largest gap between the two accept times.

    Returns:
        ``order_id, merge_into_id, similarity`` — one row per order (its most similar earlier twin).
    """
    o = orders.select("doc_id", "accept_time", "district_code")
    p = pairs.join(o.toDF("a", "ta", "da"), "a").join(o.toDF("b", "tb", "db"), "b")
    close = within_days("ta", "tb", max_days)
    same_place = F.col("da").eqNullSafe(F.col("db"))
    p = p.where(close & same_place)
    a_first = (F.col("ta") < F.col("tb")) | ((F.col("ta") == F.col("tb")) & (F.col("a") < F.col("b")))
    directed = p.select(
        F.when(a_first, F.col("b")).otherwise(F.col("a")).alias("order_id"),
        F.when(a_first, F.col("a")).otherwise(F.col("b")).alias("merge_into_id"),
        F.when(a_first, F.col("ta")).otherwise(F.col("tb")).alias("target_time"),
        "similarity",
    )
    best = directed.groupBy("order_id").agg(
        F.max_by(F.struct("merge_into_id", "similarity"), F.struct("similarity", F.col("target_time"))).alias("m")
    )
    return best.select("order_id", F.col("m.merge_into_id").alias("merge_into_id"), F.col("m.similarity").alias("similarity"))

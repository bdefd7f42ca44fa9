"""Near-duplicate detection with MinHash LSH (Spark ML) on character shingles → 并单 suggestions."""

from __future__ import annotations

from pyspark.ml.feature import HashingTF, MinHashLSH
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

NUM_FEATURES = 1 << 20


def similar_pairs(docs: DataFrame, min_similarity: float = 0.5, num_hash_tables: int = 6,
                  seed: int = 17) -> DataFrame:
    """Pairs of documents whose shingle sets have Jaccard similarity ``>= min_similarity``.

    Args:
        docs: ``doc_id`` and ``shingles`` (see :func:`models.cases.text.shingles`).

    Returns:
        ``a, b, similarity`` with ``a < b``.
    """
    vec = HashingTF(inputCol="shingles", outputCol="features", numFeatures=NUM_FEATURES, binary=True).transform(
        docs.where(F.size("shingles") > 0).select("doc_id", "shingles")
    )
    model = MinHashLSH(inputCol="features", outputCol="hashes", numHashTables=num_hash_tables, seed=seed).fit(vec)
    joined = model.approxSimilarityJoin(vec, vec, 1.0 - min_similarity, distCol="dist")
    return joined.select(
        F.col("datasetA.doc_id").alias("a"), F.col("datasetB.doc_id").alias("b"), (1.0 - F.col("dist")).alias("similarity")
    ).where(F.col("a") < F.col("b"))


def merge_suggestions(orders: DataFrame, pairs: DataFrame, max_days: int = 3) -> DataFrame:
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
    close = F.abs(F.unix_timestamp("ta") - F.unix_timestamp("tb")) <= max_days * 86400
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

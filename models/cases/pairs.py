"""Pairs of documents that share a key and were accepted close in time — the one self-join that
near-duplicate detection (per MinHash band) and 类案 clustering (per distinctive shingle) both need."""

from __future__ import annotations

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F


def within_days(t1: str | Column, t2: str | Column, days: int) -> Column:
    """True when the two timestamps are at most ``days`` days apart."""
    return F.abs(F.unix_timestamp(t1) - F.unix_timestamp(t2)) <= days * 86400


def self_join(rows: DataFrame, keys: list[str], max_days: int | None = None, id_col: str = "doc_id",
              time_col: str = "accept_time") -> DataFrame:
    """``a, b, *keys``: every unordered pair of rows with equal ``keys``, once per key value, ``a < b``.

    With ``max_days`` only rows whose ``time_col`` values are at most that many days apart are paired,
    and the join is blocked by ``max_days``-long periods (each row also meets the next period's rows),
    so its cost grows with the length of the window, not with its square. Null keys pair with nothing.
    """
    if not max_days:
        left = rows.select(F.col(id_col).alias("a"), *keys)
        right = rows.select(F.col(id_col).alias("b"), *keys)
        return left.join(right, keys).where(F.col("a") < F.col("b")).select("a", "b", *keys)
    period = F.floor(F.unix_timestamp(time_col) / (max_days * 86400))
    left = rows.select(F.col(id_col).alias("x"), *keys, F.col(time_col).alias("tx"), period.alias("period"))
    right = rows.select(F.col(id_col).alias("y"), *keys, F.col(time_col).alias("ty"),
                        F.posexplode(F.array(period, period + 1)).alias("shifted", "period"))
    joined = left.join(right, [*keys, "period"])
    # a pair inside one period meets twice (keep one orientation), a pair across two periods once
    # (the later row's period)
    once = (F.col("shifted") == 1) | (F.col("x") < F.col("y"))
    return joined.where(once & within_days("tx", "ty", max_days)).select(
        F.least("x", "y").alias("a"), F.greatest("x", "y").alias("b"), *keys)

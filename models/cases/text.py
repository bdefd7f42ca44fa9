"""Character shingles of redacted order text (Chinese needs no word segmentation for this)."""

from __future__ import annotations

from pyspark.ml.feature import NGram
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

#: placeholders the redaction pass leaves in text ([姓名], [手机号], …) and boilerplate place prefixes
_NOISE = r"\[[^\]]{1,8}\]|[A-Za-z]\d*[市区县]"


def normalise(text):
    """Keep CJK characters, letters and digits; drop redaction tokens, punctuation and spaces."""
    cleaned = F.regexp_replace(F.coalesce(text, F.lit("")), _NOISE, "")
    return F.regexp_replace(F.lower(cleaned), r"[^\p{IsHan}a-z0-9]", "")


def shingles(docs: DataFrame, n: int = 4, text_col: str = "text", out_col: str = "shingles") -> DataFrame:
    """Add ``out_col``: the distinct character ``n``-grams of the normalised text."""
    chars = docs.withColumn("_norm", normalise(F.col(text_col))).withColumn(
        "_chars", F.when(F.length("_norm") > 0, F.split("_norm", "")).otherwise(F.array().cast("array<string>"))
    )
    grams = NGram(n=n, inputCol="_chars", outputCol="_grams").transform(chars)
    return grams.withColumn(out_col, F.array_distinct(F.transform("_grams", lambda g: F.regexp_replace(g, " ", ""))))\
        .drop("_norm", "_chars", "_grams")


def cluster_terms(docs: DataFrame, text_col: str = "text") -> DataFrame:
    """Add ``terms``: the character 3- and 4-grams (a named entity yields several shared terms)."""
    with3 = shingles(docs, 3, text_col, "_g3")
    with4 = shingles(with3, 4, text_col, "_g4")
    return with4.withColumn("terms", F.array_union("_g3", "_g4")).drop("_g3", "_g4")

"""Character shingles of redacted order text (Chinese needs no word segmentation for this)."""

from __future__ import annotations

import re
from collections.abc import Iterable

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

#: placeholders the redaction pass leaves in text ([姓名], [手机号], …) and boilerplate place prefixes
_NOISE = r"\[[^\]]{1,8}\]|[A-Za-z]\d*[市区县]"


def order_text() -> Column:
    """An order's title and redacted text as one string (the text both 类案 and new-text warnings read)."""
    return F.concat_ws("。", F.coalesce("title", F.lit("")), F.coalesce("content_redacted", F.lit("")))


def names_pattern(names: Iterable[str]) -> str | None:
    """A regular expression matching any of ``names`` (two characters or more), longest first.

    Built as a trie, one alternation per shared prefix, so that matching a city's few thousand place
    names costs about the length of the text, not the number of names.
    """
    trie: dict = {}
    for name in {n.strip() for n in names if n and len(n.strip()) >= 2}:
        node = trie
        for ch in name:
            node = node.setdefault(ch, {})
        node[""] = {}

    def build(node: dict) -> str:
        alts = [re.escape(ch) + build(child) for ch, child in sorted(node.items()) if ch]
        if not alts:
            return ""
        body = alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"
        if "" in node:   # a name ends here; a longer one may go on
            return (body if len(alts) > 1 else f"(?:{body})") + "?"
        return body

    return build(trie) or None


def normalise(text, drop: str | None = None):
    """Keep CJK characters, letters and digits; drop redaction tokens, punctuation and spaces (and
    whatever the regular expression ``drop`` matches, e.g. :func:`names_pattern` of place names)."""
    cleaned = F.regexp_replace(F.coalesce(text, F.lit("")), _NOISE, "")
    if drop:
        cleaned = F.regexp_replace(cleaned, drop, "")
    return F.regexp_replace(F.lower(cleaned), r"[^\p{IsHan}a-z0-9]", "")


def _with_norm(docs: DataFrame, text_col: str, drop: str | None) -> DataFrame:
    """Add ``_norm``: the normalised text (see :func:`normalise`)."""
    return docs.withColumn("_norm", normalise(F.col(text_col), drop))


def _ngrams(docs: DataFrame, n: int, out_col: str) -> DataFrame:
    """Add ``out_col``: the distinct character ``n``-grams of ``_norm``, in order of first occurrence.

    Cut with ``substring`` straight from the string: splitting it into characters, joining them in
    Spark ML's ``NGram`` and removing the separators again took twice as long on generated orders.
    The string enters as the one element of an array bound to a lambda variable: referenced directly
    inside the lambda, the optimizer inlines ``_norm``'s regular expressions into it and runs them
    again for every n-gram.
    """
    def grams(text: Column) -> Column:
        length = F.length(text)
        cut = F.transform(F.sequence(F.lit(1), length - (n - 1)), lambda i: F.substring(text, i, n))
        return F.when(length >= n, cut).otherwise(F.array().cast("array<string>"))

    return docs.withColumn(out_col, F.array_distinct(F.flatten(F.transform(F.array("_norm"), grams))))


def explode_terms(array_col: str) -> Column:
    """``explode(array_col)`` for a generator over computed n-grams: use with :func:`known_terms`.

    ``explode`` makes the optimizer add ``size(array) > 0`` below it, which it then rewrites into the
    expression that builds the array — so every order's n-grams were cut twice. ``explode_outer``
    adds no such filter; its null rows (an empty array) are dropped by :func:`known_terms`.
    """
    return F.explode_outer(array_col)


def known_terms(term_col: str) -> Column:
    """The filter that goes with :func:`explode_terms`."""
    return F.col(term_col).isNotNull()


def shingles(docs: DataFrame, n: int = 4, text_col: str = "text", out_col: str = "shingles",
             drop: str | None = None) -> DataFrame:
    """Add ``out_col``: the distinct character ``n``-grams of the normalised text (see :func:`normalise`)."""
    return _ngrams(_with_norm(docs, text_col, drop), n, out_col).drop("_norm")


def cluster_terms(docs: DataFrame, text_col: str = "text", drop: str | None = None) -> DataFrame:
    """Add ``terms``: the character 3- and 4-grams (a named entity yields several shared terms) of the
    text without what ``drop`` matches (normalised once for both)."""
    grams = _ngrams(_ngrams(_with_norm(docs, text_col, drop), 3, "_g3"), 4, "_g4")
    return grams.withColumn("terms", F.array_union("_g3", "_g4")).drop("_g3", "_g4", "_norm")

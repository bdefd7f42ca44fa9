"""并单 and 类案 on the small planted city: the storm becomes merge suggestions, the class case one cluster."""

from __future__ import annotations

import pytest
from pyspark.sql import functions as F
from pyspark.testing import assertDataFrameEqual

from models.cases import cluster, text
from models.cases.job import compute, evaluate
from tests.models.insight import city


@pytest.fixture(scope="module")
def result(spark):
    orders, incidents = city.build()
    o, i = city.to_spark(spark, orders, incidents)
    o = o.cache()
    out = compute(o)
    return out, o, i, orders


def test_shingles_drop_redaction_tokens_and_punctuation(spark):
    df = spark.createDataFrame([("a", "[姓名]说：停水了！A3区")], "doc_id string, text string")
    got = text.shingles(df, n=3).select("doc_id", "shingles")
    assertDataFrameEqual(got, spark.createDataFrame([("a", ["说停水", "停水了"])], "doc_id string, shingles array<string>"))


def test_connected_components(spark):
    nodes = spark.createDataFrame([(x,) for x in "abcdef"], "doc_id string")
    edges = spark.createDataFrame([("a", "b"), ("c", "b"), ("e", "f")], "a string, b string")
    got = cluster.connected_components(nodes, edges)
    expected = spark.createDataFrame([("a", "a"), ("b", "a"), ("c", "a"), ("d", "d"), ("e", "e"), ("f", "e")],
                                     "doc_id string, component string")
    assertDataFrameEqual(got, expected)


def test_duplicate_storm_becomes_merge_suggestions(result):
    out, _, _, orders = result
    storm = set(orders.loc[orders.incident_id == "INC-STORM", "order_id"])
    sug = out["suggestions"].where(F.col("order_id").isin(*storm)).collect()
    # every storm order but the first points at another storm order
    assert len(sug) >= len(storm) - 2
    assert all(r["merge_into_id"] in storm and r["similarity"] >= 0.5 for r in sug)
    # elsewhere only the (rare) template-identical texts of one district within 3 days are suggested
    background = out["suggestions"].where(~F.col("order_id").isin(*storm)).count()
    assert background <= 0.05 * (len(orders) - len(storm))


def test_class_case_is_one_cluster(result):
    out, o, i, orders = result
    cls = set(orders.loc[orders.incident_id == "INC-CLASS", "order_id"])
    members = out["members"].where(F.col("order_id").isin(*cls)).toPandas()
    top = members.cluster_id.value_counts()
    assert top.iloc[0] >= 0.9 * len(cls), top
    cid = top.index[0]
    row = out["clusters"].where(F.col("cluster_id") == cid).first()
    assert row["size"] <= len(cls) + 2
    assert "力健健身" in row["label"] or "健身" in row["label"]
    assert len(row["districts"]) >= 2
    m = evaluate(out["members"], out["suggestions"], o, i)
    assert m["purity"] >= 0.9 and m["ari"] >= 0.8
    assert m["storm_merge_recall"] >= 0.8

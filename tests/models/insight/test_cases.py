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


def test_connected_components_of_long_chains_in_few_rounds(spark):
    import random

    # two 64-node paths, one with ids in path order, one shuffled: min-label propagation alone needs
    # up to 63 rounds for them, pointer jumping about log2(64)
    ordered = [f"a{i:02d}" for i in range(64)]
    shuffled = [f"b{i:02d}" for i in range(64)]
    random.Random(3).shuffle(shuffled)
    edges = [(p[i], p[i + 1]) for p in (ordered, shuffled) for i in range(63)]
    nodes = spark.createDataFrame([(x,) for x in ordered + shuffled], "doc_id string")
    got = cluster.connected_components(nodes, spark.createDataFrame(edges, "a string, b string"), max_iterations=10)
    assert {(r.doc_id, r.component) for r in got.collect()} == {(x, x[0] + "00") for x in ordered + shuffled}


def test_similar_pairs_exact_jaccard_and_time_blocking(spark):
    import datetime as dt

    from models.cases import dedup

    t0 = dt.datetime(2025, 1, 1, 9)
    same = "小区门口下水道堵塞污水横流已经三天了请尽快疏通"
    # a | b | c fall in three consecutive 30-day blocking periods (epoch days 20089, 20109, 20134)
    rows = [("a", same, t0), ("b", same, t0 + dt.timedelta(days=20)),
            ("c", same, t0 + dt.timedelta(days=45)), ("d", "公交车站台顶棚破损下雨漏水无法候车", t0)]
    docs = text.shingles(spark.createDataFrame(rows, "doc_id string, text string, accept_time timestamp"))
    unblocked = {(r.a, r.b): r.similarity for r in dedup.similar_pairs(docs, 0.5).collect()}
    assert unblocked == {("a", "b"): 1.0, ("a", "c"): 1.0, ("b", "c"): 1.0}   # exact Jaccard, d unrelated
    # within 30 days only, across a period boundary too: a–b (20 days), b–c (25 days), not a–c (45 days)
    blocked = {(r.a, r.b) for r in dedup.similar_pairs(docs, 0.5, max_days=30).collect()}
    assert blocked == {("a", "b"), ("b", "c")}
    # only documents of one district are compared; two without a district count as one district
    placed = docs.withColumn("district_code", F.when(F.col("doc_id") == "b", "330102"))
    in_place = {(r.a, r.b) for r in dedup.similar_pairs(placed, 0.5, same=("district_code",)).collect()}
    assert in_place == {("a", "c")}


def test_self_join_pairs_once_per_key_within_days(spark):
    import datetime as dt

    from models.cases.pairs import self_join

    t0 = dt.datetime(2025, 1, 1, 9)
    day = dt.timedelta(days=1)
    rows = [("a", "k", t0), ("b", "k", t0 + 2 * day), ("c", "k", t0 + 9 * day), ("d", "j", t0),
            ("e", "k", t0 + 3 * day), ("f", None, t0), ("g", None, t0)]
    df = spark.createDataFrame(rows, "doc_id string, key string, accept_time timestamp")
    got = sorted((r.a, r.b, r.key) for r in self_join(df, ["key"], max_days=3).collect())
    # 3-day periods: a (epoch day 20089) and b, e fall in different periods; b–e in one; c is 6+ days
    # from all; d has its key alone; null keys pair with nothing
    assert got == [("a", "b", "k"), ("a", "e", "k"), ("b", "e", "k")]
    assert sorted((r.a, r.b) for r in self_join(df, ["key"]).collect()) == [
        ("a", "b"), ("a", "c"), ("a", "e"), ("b", "c"), ("b", "e"), ("c", "e")]


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


def test_cohesive_components_split_chains_at_a_raised_threshold(spark):
    # two issues (5 orders naming 丽发新城, 5 naming 搅拌站), strongly linked inside, joined by one weak
    # link, and a chain of 6 orders with nothing in common hanging off the second by weak links: at the
    # first threshold all 16 are one component whose commonest term covers 5/16; one step up the two
    # issues are clusters of their own and the chain is not a 类案
    a = [f"a{i}" for i in range(5)]
    b = [f"b{i}" for i in range(5)]
    c = [f"c{i}" for i in range(6)]
    strong = [(x, y, 8) for grp in (a, b) for i, x in enumerate(grp) for y in grp[i + 1:]]
    weak = [("a4", "b0", 4), ("b4", "c0", 4)] + [(c[i], c[i + 1], 5) for i in range(5)]
    edges = spark.createDataFrame(strong + weak, "a string, b string, shared long")
    terms = [(x, "丽发新城") for x in a] + [(x, "搅拌站") for x in b] + [(x, f"词{x}") for x in c]
    terms = spark.createDataFrame(terms + [(x, "投诉") for x in a[:2] + b[:2] + c[:2]], "doc_id string, shingle string")
    got = cluster.cohesive_components(edges, terms, cluster.ClusterConfig(min_shared=4, shared_step=2, max_shared=12))
    groups = {}
    for r in got.collect():
        groups.setdefault(r.component, set()).add(r.doc_id)
    assert sorted(map(sorted, groups.values())) == [a, b]
    # with a lower bar the whole chained component passes as one
    loose = cluster.cohesive_components(edges, terms, cluster.ClusterConfig(min_cohesion=0.3))
    assert {r.component for r in loose.collect()} == {"a0"} and loose.count() == 16


def test_place_names_are_left_out_of_the_clustering_terms(spark):
    names = ["东阳镇", "东阳", "东屯名都", "康北街道", "山河路"]
    pattern = text.names_pattern(names)
    df = spark.createDataFrame([("a", "我住东阳镇东屯名都，康北街道山河路附近健身卡退费难")], "doc_id string, text string")
    got = text.cluster_terms(df, drop=pattern).first()["terms"]
    # the longest name wins (东阳镇, not 东阳 + 镇); no term keeps a piece of a place name
    assert not any(piece in t for t in got for piece in ("东阳", "屯名", "康北", "山河", "名都"))
    assert {"健身卡", "退费难", "健身卡退"} <= set(got)
    assert text.names_pattern([]) is None and text.names_pattern(["镇"]) is None


def test_merge_by_key_terms_joins_wordings_through_one_name_without_chaining(spark):
    # four first-pass components: c1, c2 and c4 are wordings of one gym-chain case (all name 力健健身);
    # c2 and c3 also share a complaint phrase (退不了钱). Each component joins through its best key term
    # only, so c3 does not chain onto the gym case through c2
    comps = {"c1": ["力健健身", "突然闭店"], "c2": ["力健健身", "退不了钱"], "c3": ["退不了钱", "押金不退"],
             "c4": ["力健健身", "人去楼空"]}
    docs, comp, keys = [], [], []
    for c, terms in comps.items():
        for i in range(3):
            doc = f"{c}-{i}"
            docs.append((doc, "0602"))
            comp.append((doc, f"{c}-0"))
            keys.extend((doc, t) for t in terms)
    got = cluster.merge_by_key_terms(
        spark.createDataFrame(docs, "doc_id string, group_key string"),
        spark.createDataFrame(comp, "doc_id string, component string"), cluster.ClusterConfig(),
        spark.createDataFrame(keys, "doc_id string, shingle string"))
    groups = {}
    for r in got.collect():
        groups.setdefault(r.component, set()).add(r.doc_id[:2])
    assert sorted(map(sorted, groups.values())) == [["c1", "c2", "c4"], ["c3"]]

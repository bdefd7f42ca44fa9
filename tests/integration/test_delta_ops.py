"""The Delta helpers on a real Delta table in one session: create, write, MERGE, time travel, OPTIMIZE."""

import datetime as dt

import pytest
from pyspark.sql import Row
from pyspark.sql import functions as F
from pyspark.sql.types import DateType, IntegerType, StringType, StructField, StructType
from pyspark.testing import assertDataFrameEqual

from jobs.common import delta
from jobs.common.catalogue import Catalogue, TableSpec

SCHEMA = StructType([
    StructField("order_id", StringType(), False),
    StructField("accept_date", DateType(), False),
    StructField("status_code", StringType(), True),
    StructField("urge_count", IntegerType(), True),
])


@pytest.fixture(scope="module")
def cat(settings):
    spec = TableSpec(name="ops_delta_probe", layer="ops", grade="internal", owner="tests",
                     description="probe table for the Delta helper tests", keys=("order_id",),
                     partition_by=("accept_date",))
    return Catalogue(settings, specs={"ops_delta_probe": spec})


def _rows(spark, *rows):
    return spark.createDataFrame([Row(order_id=o, accept_date=d, status_code=s, urge_count=u) for o, d, s, u in rows],
                                 SCHEMA)


def test_create_write_merge_time_travel_optimize(spark, cat):
    d1, d2 = dt.date(2025, 3, 1), dt.date(2025, 3, 2)
    name = "ops_delta_probe"
    delta.ensure_table(spark, cat, name, SCHEMA)
    props = delta.table(spark, cat, name).detail().select("properties", "partitionColumns").first()
    assert props["properties"]["minsheng.data_grade"] == "internal"
    assert props["partitionColumns"] == ["accept_date"]

    delta.append(_rows(spark, ("A", d1, "20", 0), ("B", d1, "20", 0)), cat, name)
    v_after_append = delta.current_version(spark, cat, name)

    metrics = delta.merge(_rows(spark, ("B", d1, "30", 1), ("C", d2, "10", 0)), cat, name,
                          partition_filter="t.accept_date IN ('2025-03-01', '2025-03-02')")
    assert metrics["numTargetRowsUpdated"] == 1 and metrics["numTargetRowsInserted"] == 1
    assertDataFrameEqual(cat.read(spark, name),
                         _rows(spark, ("A", d1, "20", 0), ("B", d1, "30", 1), ("C", d2, "10", 0)))
    # time travel: the table as it was before the merge
    assertDataFrameEqual(delta.read_version(spark, cat, name, v_after_append),
                         _rows(spark, ("A", d1, "20", 0), ("B", d1, "20", 0)))

    # replaceWhere rewrites one partition and leaves the other alone
    delta.overwrite(_rows(spark, ("D", d2, "40", 2)), cat, name, replace_where="accept_date = '2025-03-02'")
    assert sorted(r.order_id for r in cat.read(spark, name).collect()) == ["A", "B", "D"]

    for _ in range(3):  # several small files in one partition, then compaction
        delta.append(_rows(spark, ("E", d1, "50", 0)).withColumn("order_id", F.expr("uuid()")), cat, name)
    result = delta.optimize(spark, cat, name)
    assert result["files_removed"] > result["files_added"] >= 1
    assert cat.read(spark, name).count() == 6


def test_merge_refuses_a_frame_that_does_not_fit_the_table(spark, cat):
    delta.ensure_table(spark, cat, "ops_delta_probe", SCHEMA)
    bad = spark.createDataFrame([("X", "oops")], "order_id string, colour string")
    with pytest.raises(ValueError, match="Schema mismatch writing ops_delta_probe"):
        delta.merge(bad, cat, "ops_delta_probe")


def test_vacuum_below_the_safe_retention_is_refused(spark, cat):
    with pytest.raises(ValueError, match="safe minimum is 168 h"):
        delta.vacuum(spark, cat, "ops_delta_probe", retention_hours=1)
    delta.vacuum(spark, cat, "ops_delta_probe")  # the safe default runs


def test_a_file_table_without_data_files_does_not_exist(spark, settings, tmp_path):
    """A run that wrote no rows leaves only markers: such a table must read as absent, not crash readers."""
    import dataclasses

    spec = TableSpec(name="gt_probe", layer="ground_truth", grade="general", owner="tests", format="parquet",
                     description="probe", partition_by=("gen_dt",))
    cat = Catalogue(dataclasses.replace(settings, ground_truth_uri=str(tmp_path)), specs={"gt_probe": spec})
    assert not cat.exists(spark, "gt_probe")
    empty = spark.createDataFrame([], "incident_id string, gen_dt string")
    empty.coalesce(1).write.mode("overwrite").partitionBy("gen_dt").parquet(cat.location("gt_probe"))
    assert not cat.exists(spark, "gt_probe")
    spark.createDataFrame([("I1", "2025-03-02")], "incident_id string, gen_dt string").write.mode("overwrite") \
        .partitionBy("gen_dt").parquet(cat.location("gt_probe"))
    assert cat.exists(spark, "gt_probe")
    assert [r.incident_id for r in cat.read(spark, "gt_probe").collect()] == ["I1"]

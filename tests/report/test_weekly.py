"""The weekly 每周一议 report renders (HTML → PNG/PDF in headless Chromium) and is published over S3."""

from __future__ import annotations

import datetime as dt
import struct

import pytest
from pyspark.sql import functions as F

from jobs.common.config import PROJECT_ROOT
from jobs.report import charts, weekly
from tests.models.insight import city

WEEK = city.START + dt.timedelta(days=84)  # a Monday: the week after the planted burst


@pytest.fixture(scope="module")
def tables(spark):
    orders, incidents = city.build()
    o, _ = city.to_spark(spark, orders, incidents)
    clusters = spark.createDataFrame(
        [(WEEK, "CC-1", "力健健身、预付卡、退费", 31, 1.8, 9, ["990102", "990103"], "060201"),
         (WEEK, "CC-2", "燃气管道、管道破裂", 12, 12.0, 12, ["990103"], "030101")],
        "run_date date, cluster_id string, label string, size long, growth double, orders_last_7d int, "
        "districts array<string>, category_code string",
    ).withColumn("first_date", F.lit(WEEK)).withColumn("last_date", F.lit(WEEK))
    warn = spark.createDataFrame(
        [(WEEK, "burst:street_l3:990102001|030101:x", "burst", "street_l3", "990102001|030101", 14.0, 9.1,
          ["供水主管爆裂，整条街停水"], '{"count":14.0}'),
         (WEEK + dt.timedelta(days=1), "new_issue:street_l3:990103002|030301:x", "new_issue", "street_l3",
          "990103002|030301", 5.0, 6.0, ["燃气管道破裂"], '{"count":5.0}'),
         (WEEK + dt.timedelta(days=2), "new_text:city_l3:060201:x", "new_text", "city_l3", "060201", 6.0, 4.2,
          ["悦体健身闭店，预付卡无法退费"], '{"count":6.0,"term":"体健身闭"}')],
        "warn_date date, episode_id string, kind string, level string, series_key string, count double, "
        "score double, examples array<string>, evidence_json string",
    )
    fc = spark.createDataFrame(
        [("city_l2:0301", WEEK - dt.timedelta(days=1), WEEK + dt.timedelta(days=k), k + 1, "gbt", 10.0, 6.0, 14.0)
         for k in range(7)],
        "series_id string, origin date, ds date, h int, family string, yhat double, lo double, hi double",
    )
    return {"dwd_work_order": o, "gold_case_cluster": clusters, "gold_early_warning": warn, "gold_forecast": fc}


def test_cjk_font_is_installed():
    assert "CJK" in charts.use_cjk_font()


def test_report_renders_and_is_published(tables, s3_settings):
    from jobs.common import s3

    folder = PROJECT_ROOT / "var" / "artifacts" / "report" / "test-weekly"
    out = weekly.produce(tables, WEEK, folder, s3_settings)
    page = (folder / "index.html").read_text(encoding="utf-8")
    for heading in ("每周一议", "类案 Top（按规模）", "新发问题", "未诉先办预警", "预测与实际", "部门办理情况"):
        assert heading in page
    assert "力健健身、预付卡、退费" in page and "供水主管爆裂" in page
    new_issues = page.split("三、新发问题")[1].split("四、")[0]
    assert "新发文本聚集" in new_issues and "体健身闭" in new_issues and "悦体健身闭店" in new_issues
    assert "燃气管道破裂" in new_issues and "供水主管爆裂" not in new_issues
    assert page.count("data:image/png;base64,") >= 3
    png = (folder / "page.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", png[16:24])
    assert (width, height) == (1200, 2200)
    assert (folder / "report.pdf").read_bytes()[:5] == b"%PDF-"
    client = s3.client(s3_settings)
    keys = {o["Key"] for o in client.list_objects_v2(Bucket=out["bucket"])["Contents"]}
    assert {f"reports/weekly/{WEEK}/index.html", f"reports/weekly/{WEEK}/page.png",
            f"reports/weekly/{WEEK}/report.pdf"} <= keys
    head = client.head_object(Bucket=out["bucket"], Key=f"reports/weekly/{WEEK}/index.html")
    assert head["ContentType"].startswith("text/html")
    assert out["report_url"].endswith(f"/reports/weekly/{WEEK}/index.html")


def test_week_of():
    assert weekly.week_of(dt.date(2025, 4, 2)) == (dt.date(2025, 3, 31), dt.date(2025, 4, 6))

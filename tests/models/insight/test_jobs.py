"""The run() entry points end to end on real Delta tables and a real MLflow store (SQLite), on a lake
of their own: the planted city in dwd_work_order and gt_incidents, warnings/cases/policy written to gold."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pandas as pd
import pytest
from pyspark.sql import functions as F

from tests.models.insight import city

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def lake(spark, settings, tmp_path_factory):
    from jobs.common import delta
    from jobs.common.catalogue import Catalogue

    root = tmp_path_factory.mktemp("insight_lake")
    own = dataclasses.replace(
        settings, lake_uri=str(root / "lake"), ground_truth_uri=str(root / "gt"),
        mlflow={"tracking_uri": f"sqlite:///{root / 'mlflow.db'}", "artifact_root": str(root / "mlruns")},
    )
    cat = Catalogue(own)
    orders, incidents = city.build()
    # a policy change: from day 60, 040202 (路边停车收费) volume grows by 60 %
    policy_day = city.START + dt.timedelta(days=60)
    extra = orders[(orders.category_l3_code == "040202") & (orders.accept_date >= policy_day)].sample(frac=0.6, random_state=1)
    extra = extra.assign(order_id=extra.order_id + "P", source_order_id=extra.source_order_id + "P")
    o, i = city.to_spark(spark, pd.concat([orders, extra], ignore_index=True), incidents)
    delta.overwrite(o, cat, "dwd_work_order")
    i.withColumn("gen_dt", F.to_date("start_time")).write.mode("overwrite").partitionBy("gen_dt").parquet(
        cat.location("gt_incidents"))
    return own, cat, policy_day


def test_warning_run_writes_gold_and_scores(spark, lake):
    from models.warning.job import run

    own, cat, _ = lake
    d0, d1 = city.START + dt.timedelta(days=70), city.START + dt.timedelta(days=city.DAYS - 1)
    out = run(d0, d1, settings=own)
    gold = cat.read(spark, "gold_early_warning")
    assert gold.count() == out["rows"] > 0
    assert gold.where(F.col("warn_date") < d0).count() == 0
    assert out["evaluation"]["recall_by_type"]["water_main_break"] == 1.0
    assert out["evaluation"]["recall_by_type"]["class_case_prepaid"] == 1.0
    text = gold.where(F.col("kind") == "new_text").orderBy("warn_date").first()
    assert text["category_code"] == "060201" and '"term":"' in text["evidence_json"]
    again = run(d0, d1, settings=own)  # idempotent: the days are replaced, not appended
    assert cat.read(spark, "gold_early_warning").count() == again["rows"] == out["rows"]


def test_cases_run_writes_gold(spark, lake):
    from models.cases.job import run

    own, cat, _ = lake
    d1 = city.START + dt.timedelta(days=city.DAYS - 1)
    out = run(d1 - dt.timedelta(days=45), d1, settings=own)
    assert out["gold_case_cluster"]["rows"] > 0 and out["gold_merge_suggestion"]["rows"] > 0
    assert out["evaluation"]["storm_merge_recall"] >= 0.8


def test_policy_run_covers_planted_change(spark, lake):
    from models.policy.its import run

    own, cat, policy_day = lake
    out = run("040202", policy_day, city.START, city.START + dt.timedelta(days=city.DAYS - 1), settings=own)
    assert out["relative_effect_lo"] <= 0.6 <= out["relative_effect_hi"]
    row = cat.read(spark, "gold_policy_evaluation").first()
    assert row["category_code"] == "040202" and row["policy_date"] == policy_day


def test_forecast_run_writes_gold_logs_and_registers_the_global_model(spark, lake):
    """The forecast entry point on the planted city: backtest scores and the forecast in gold, the global
    model logged with the Spark flavour and registered (first version: champion)."""
    from mlflow import MlflowClient

    from models.forecast.job import run

    own, cat, _ = lake
    d0, d1 = city.START, city.START + dt.timedelta(days=city.DAYS - 1)
    out = run(d0, d1, horizon=7, windows=2, families=("gbt",), settings=own)
    fc = cat.read(spark, "gold_forecast").where(F.col("origin") == F.lit(d1))
    assert fc.count() == out["forecast_rows"] > 0 and fc.agg(F.max("h")).first()[0] == 7
    assert cat.read(spark, "gold_forecast_backtest").where(
        F.col("run_id") == out["run_id"]).count() > 0
    tracked = out["mlflow"]
    client = MlflowClient(tracking_uri=own.mlflow["tracking_uri"])
    version = client.get_model_version(tracked["model"], tracked["version"])
    assert version.run_id == tracked["run_id"] and tracked["promoted"]
    assert client.get_model_version_by_alias(tracked["model"], "champion").version == version.version

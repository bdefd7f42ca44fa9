from pathlib import Path

import pytest

from jobs.common.config import ConfigError, load_settings, resolve_uri


def test_unknown_profile_is_refused_with_the_choices():
    with pytest.raises(ConfigError, match=r"Unknown profile 'prod'.*local, test, cluster"):
        load_settings("prod", env={})


def test_profile_comes_from_the_environment_and_env_overrides_yaml(tmp_path):
    env = {"MINSHENG_PROFILE": "test", "MINSHENG_HOME": str(tmp_path), "MINSHENG_LAKE_URI": "s3a://b/lake",
           "MINSHENG_LANDING_URI": "in", "MINSHENG_SPARK_MASTER": "local[1]",
           "MINSHENG_SPARK_CONF": "spark.sql.shuffle.partitions=3; spark.x=y"}
    s = load_settings(env=env)
    assert s.profile == "test"
    assert s.lake_uri == "s3a://b/lake"
    assert s.landing_uri == str(tmp_path / "in")
    assert s.spark_master == "local[1]"
    assert s.spark_conf["spark.sql.shuffle.partitions"] == "3"
    assert s.spark_conf["spark.x"] == "y"
    assert s.spark_conf["spark.ui.enabled"] == "false"  # from test.yaml, not overridden


def test_malformed_spark_conf_override_names_the_item():
    with pytest.raises(ConfigError, match="'oops' is not key=value"):
        load_settings("test", env={"MINSHENG_SPARK_CONF": "oops"})


def test_cluster_profile_keeps_the_lake_on_s3():
    s = load_settings("cluster", env={})
    assert s.lake_uri.startswith("s3a://")
    assert not s.is_local_lake
    assert s.spark_conf["spark.delta.logStore.s3a.impl"] == "io.delta.storage.S3SingleDriverLogStore"


def test_relative_locations_resolve_against_home(tmp_path):
    assert resolve_uri("var/lake", tmp_path) == str(tmp_path / "var" / "lake")
    assert resolve_uri("/abs/x", tmp_path) == "/abs/x"
    assert resolve_uri("s3a://bucket/x/", Path("/")) == "s3a://bucket/x"

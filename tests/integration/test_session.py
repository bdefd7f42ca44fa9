"""The one session factory: JARs on the classpath, clear errors for a broken set-up."""

import os
import stat

import pytest

from jobs.common import jars
from jobs.common.config import ConfigError, load_settings
from jobs.common.session import (
    _java_checked,
    java_major_version,
    jvm_class_available,
    spark_conf_for,
    spark_nlp_available,
)


def test_session_has_delta_and_the_s3a_filesystem(spark):
    assert jvm_class_available(spark, "org.apache.hadoop.fs.s3a.S3AFileSystem")
    assert jvm_class_available(spark, "io.delta.tables.DeltaTable")
    assert not jvm_class_available(spark, "org.example.NoSuchClass")
    # the s3a:// scheme resolves to the S3A filesystem class through Hadoop itself
    jvm = spark.sparkContext._jvm
    fs_class = jvm.org.apache.hadoop.fs.FileSystem.getFileSystemClass("s3a", spark.sparkContext._jsc.hadoopConfiguration())
    assert fs_class.getName() == "org.apache.hadoop.fs.s3a.S3AFileSystem"
    assert spark.conf.get("spark.sql.session.timeZone") == "Asia/Shanghai"
    assert spark.conf.get("spark.sql.extensions") == "io.delta.sql.DeltaSparkSessionExtension"


@pytest.mark.skipif(not jars.spark_nlp_jars(),
                    reason="BLOCKED: spark-nlp_2.13:7.0.0 is not served by the reachable Maven Central")
def test_spark_nlp_pipeline_runs_in_the_same_session(spark):
    from pyspark.ml import Pipeline
    from sparknlp.annotator import Tokenizer
    from sparknlp.base import DocumentAssembler, Finisher

    assert spark_nlp_available(spark)
    df = spark.createDataFrame([("小区 停水 三天",)], ["text"])
    pipe = Pipeline(stages=[DocumentAssembler().setInputCol("text").setOutputCol("doc"),
                            Tokenizer().setInputCols(["doc"]).setOutputCol("tok"),
                            Finisher().setInputCols(["tok"]).setOutputCols(["tokens"])])
    assert pipe.fit(df).transform(df).first()["tokens"] == ["小区", "停水", "三天"]


def test_missing_jars_give_one_clear_message(tmp_path, monkeypatch):
    monkeypatch.setenv("MINSHENG_JARS_DIR", str(tmp_path))
    with pytest.raises(ConfigError, match=r"Spark JARs missing .*delta-spark_4.2_2.13.*Run `make setup`"):
        spark_conf_for(load_settings("test", env={}))


def test_missing_java_gives_one_clear_message(tmp_path):
    with pytest.raises(ConfigError, match=r"No Java found \(JAVA_HOME=.*needs Java 17 or newer"):
        java_major_version(str(tmp_path / "no-jdk"))


def test_unsupported_java_is_refused(tmp_path):
    fake = tmp_path / "jdk11" / "bin"
    fake.mkdir(parents=True)
    java = fake / "java"
    java.write_text('#!/bin/sh\necho \'openjdk version "11.0.22" 2024-01-16\' >&2\n')
    java.chmod(java.stat().st_mode | stat.S_IEXEC)
    assert java_major_version(str(tmp_path / "jdk11")) == 11
    with pytest.raises(ConfigError, match="Java 11 found, but Spark 4.2 needs Java 17–25"):
        _java_checked(17, 25, str(tmp_path / "jdk11"))


def test_spark_conf_puts_every_core_jar_on_spark_jars():
    conf = spark_conf_for(load_settings("test", env={}))
    listed = conf["spark.jars"].split(",")
    assert {os.path.basename(p) for p in listed} >= {j.name for j in jars.core_jars()}


def test_local_lake_uses_the_fork_free_local_file_system(spark, tmp_path):
    # make setup compiles it (infra/java); without it every file a local lake writes forks a chmod
    assert jars.local_fs_jar() is not None, "run make setup: infra/jars/localfs/minsheng-localfs.jar is missing"
    jvm = spark.sparkContext._jvm
    fs = jvm.org.apache.hadoop.fs.FileSystem.get(jvm.java.net.URI("file:///"), spark.sparkContext._jsc.hadoopConfiguration())
    assert fs.getClass().getName() == jars.LOCAL_FS_CLASS
    assert fs.getRawFileSystem().getClass().getName() == "minsheng.hadoop.NioRawLocalFileSystem"
    # files and folders get Hadoop's usual permissions (0666 / 0777 less the umask), checksums included
    out = tmp_path / "t"
    spark.range(10).selectExpr("id", "id * 2 AS twice").write.partitionBy("id").parquet(str(out))
    umask = os.umask(0)
    os.umask(umask)
    data = next(out.glob("id=3/*.parquet"))
    assert stat.S_IMODE(data.stat().st_mode) == 0o666 & ~umask
    assert stat.S_IMODE((out / "id=3").stat().st_mode) == 0o777 & ~umask
    assert next(out.glob("id=3/.*.parquet.crc")).exists()
    assert sorted(r.id for r in spark.read.parquet(str(out)).collect()) == list(range(10))


def test_local_fs_only_for_a_local_lake_outside_spark_submit():
    local = load_settings("test", env={})
    conf = spark_conf_for(local, local_fs=True)
    assert conf["spark.hadoop.fs.file.impl"] == jars.LOCAL_FS_CLASS
    assert str(jars.local_fs_jar()) in conf["spark.driver.extraClassPath"].split(os.pathsep)
    # under spark-submit the JVM is already up: the class could not be added to its class path
    assert "spark.hadoop.fs.file.impl" not in spark_conf_for(local, local_fs=False)
    s3 = load_settings("test", env={"MINSHENG_LAKE_URI": "s3a://bucket/lake"})
    assert "spark.hadoop.fs.file.impl" not in spark_conf_for(s3, local_fs=True)


def test_a_submitted_driver_hands_its_s3_credentials_to_the_executors():
    from jobs.common.session import executor_env_conf

    env = {"AWS_ACCESS_KEY_ID": "id", "AWS_SECRET_ACCESS_KEY": "secret", "AWS_SESSION_TOKEN": "",
           "HOME": "/root", "MINSHENG_PII_KEY": "k"}
    assert executor_env_conf(env) == {"spark.executorEnv.AWS_ACCESS_KEY_ID": "id",
                                      "spark.executorEnv.AWS_SECRET_ACCESS_KEY": "secret"}
    assert executor_env_conf({"HOME": "/root"}) == {}  # an instance role: nothing to hand over

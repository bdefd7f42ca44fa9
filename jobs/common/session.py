"""The one SparkSession factory.

Every job gets its session here. Settings come from the profile (see ``config.py``); under
``spark-submit`` whatever the submit command set (master, memory, jars, …) is left alone.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Mapping
from functools import lru_cache
from typing import TYPE_CHECKING

from jobs.common.config import ConfigError, Settings, load_settings
from jobs.common.jars import LOCAL_FS_CLASS, core_jars, local_fs_jar, spark_nlp_jars

if TYPE_CHECKING:
    from pyspark.sql import SparkSession


def java_major_version(java_home: str | None = None) -> int:
    """Major version of the Java that Spark will launch; ConfigError if there is none."""
    home = java_home if java_home is not None else os.environ.get("JAVA_HOME")
    java = os.path.join(home, "bin", "java") if home else shutil.which("java")
    if not java or not os.path.exists(java):
        where = f"JAVA_HOME={home}" if home else "PATH"
        raise ConfigError(
            f"No Java found ({where}). minsheng needs Java 17 or newer for Spark 4: "
            "install it (`apt-get install openjdk-17-jre-headless`, or `make setup`) or set JAVA_HOME."
        )
    out = subprocess.run([java, "-version"], capture_output=True, text=True, check=False)
    match = re.search(r'version "(\d+)(?:\.(\d+))?', out.stderr + out.stdout)
    if not match:
        raise ConfigError(f"Could not read the Java version from `{java} -version`: {out.stderr.strip()!r}")
    major = int(match.group(1))
    return int(match.group(2)) if major == 1 else major


def check_java(settings: Settings) -> int:
    """The Java major version Spark will use; ConfigError when missing or unsupported."""
    return _java_checked(settings.java_min_version, settings.java_max_version, os.environ.get("JAVA_HOME"))


#: What a submitted driver hands its executors from its own environment when spark-submit did not:
#: the S3 credentials their s3a reads and writes use. ``infra/spark-submit.sh`` sets them itself (a
#: private properties file); Airflow's ``SparkSubmitOperator`` does not, and without this its executors
#: would depend on whatever the worker daemons happened to be started with. With an instance role
#: (IRSA) the variables are unset and nothing is added.
EXECUTOR_ENV = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_REGION")


def executor_env_conf(environ: Mapping[str, str]) -> dict[str, str]:
    """``spark.executorEnv.*`` settings for the :data:`EXECUTOR_ENV` variables set in ``environ``."""
    return {f"spark.executorEnv.{k}": environ[k] for k in EXECUTOR_ENV if environ.get(k)}


def _under_spark_submit() -> bool:
    # spark-submit starts the Python driver with a gateway already listening.
    return "PYSPARK_GATEWAY_PORT" in os.environ


def spark_conf_for(settings: Settings, with_nlp: bool = True, local_fs: bool | None = None) -> dict[str, str]:
    """Every Spark setting the profile asks for, JARs included (a pure function, for tests).

    ``local_fs`` (default: unless under spark-submit, whose JVM is already running) puts a local lake
    on :data:`jobs.common.jars.LOCAL_FS_CLASS` when `make setup` has built it: a file system class
    must be on the JVM's class path from the start, so it goes on ``spark.driver.extraClassPath``
    (and the executors' — a standalone cluster on this machine).
    """
    conf = dict(settings.spark_conf)
    fs_jar = local_fs_jar()
    if (not _under_spark_submit() if local_fs is None else local_fs) and settings.is_local_lake and fs_jar:
        for key in ("spark.driver.extraClassPath", "spark.executor.extraClassPath"):
            conf[key] = os.pathsep.join(p for p in (conf.get(key), str(fs_jar)) if p)
        conf.setdefault("spark.hadoop.fs.file.impl", LOCAL_FS_CLASS)
    jars = [str(j) for j in core_jars()]
    if with_nlp:
        jars += [str(j) for j in spark_nlp_jars()]
    existing = [j for j in conf.get("spark.jars", "").split(",") if j]
    conf["spark.jars"] = ",".join(existing + jars)
    conf.setdefault("spark.sql.warehouse.dir", f"{settings.work_uri}/warehouse")
    if settings.is_local_lake:
        conf.setdefault("spark.driver.extraJavaOptions", f"-Dderby.system.home={settings.work_uri}")
    endpoint = settings.s3.get("endpoint_url")
    if endpoint:
        conf.setdefault("spark.hadoop.fs.s3a.endpoint", endpoint)
        conf.setdefault("spark.hadoop.fs.s3a.path.style.access", "true")
        conf.setdefault("spark.hadoop.fs.s3a.endpoint.region", settings.s3.get("region", "us-east-1"))
        if endpoint.startswith("http://"):
            conf.setdefault("spark.hadoop.fs.s3a.connection.ssl.enabled", "false")
    return conf


@lru_cache(maxsize=4)
def _java_checked(min_version: int, max_version: int, java_home: str | None) -> int:
    major = java_major_version(java_home)
    if not min_version <= major <= max_version:
        raise ConfigError(
            f"Java {major} found, but Spark 4.2 needs Java {min_version}–{max_version}. Point JAVA_HOME "
            "at a supported JDK (e.g. /usr/lib/jvm/java-17-openjdk-amd64)."
        )
    return major


def get_spark(settings: Settings | None = None, app_name: str | None = None) -> SparkSession:
    """Return the active SparkSession, or build one from the profile.

    Args:
        settings: resolved configuration; defaults to ``load_settings()``.
        app_name: Spark application name (defaults to the profile's).

    Raises:
        ConfigError: unknown profile, missing JARs or an unsupported Java, with what to do.
    """
    from pyspark.sql import SparkSession

    active = SparkSession.getActiveSession()
    if active is not None:
        return active
    settings = settings or load_settings()
    check_java(settings)
    if settings.spark_master.startswith("local"):
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    os.environ.setdefault("PYSPARK_PYTHON", os.environ.get("PYSPARK_PYTHON") or _python())
    conf = spark_conf_for(settings)
    builder = SparkSession.builder
    if _under_spark_submit():
        # Leave alone everything spark-submit already decided; add only what it did not set.
        from pyspark import SparkConf, SparkContext

        SparkContext._ensure_initialized()
        submitted = SparkConf()
        for key, value in {**conf, **executor_env_conf(os.environ)}.items():
            if not submitted.contains(key):
                builder = builder.config(key, value)
    else:
        builder = builder.master(settings.spark_master).appName(app_name or settings.spark_app_name)
        for key, value in conf.items():
            builder = builder.config(key, value)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel(os.environ.get("MINSHENG_SPARK_LOG_LEVEL", "WARN"))
    return spark


def _python() -> str:
    import sys

    return sys.executable


def jvm_class_available(spark: SparkSession, class_name: str) -> bool:
    """True when ``class_name`` loads through the session's class loader (where spark.jars go)."""
    jvm = spark.sparkContext._jvm
    try:
        jvm.java.lang.Thread.currentThread().getContextClassLoader().loadClass(class_name)
        return True
    except Exception:
        return False


def spark_nlp_available(spark: SparkSession) -> bool:
    """True when the Spark NLP JVM classes are on this session's classpath."""
    return jvm_class_available(spark, "com.johnsnowlabs.nlp.DocumentAssembler")

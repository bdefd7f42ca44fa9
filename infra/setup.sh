#!/usr/bin/env bash
# Installs everything minsheng needs, idempotently: Debian packages (Java 17, Maven) when missing,
# a Python venv with the pinned stack, and the Spark JARs from Maven into infra/jars/.
# Each part is skipped when its inputs (pyproject.toml, infra/pom.xml) have not changed.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
stamp_dir="$root/var/setup"
mkdir -p "$stamp_dir"

say() { printf '[setup] %s\n' "$*"; }

# --- Debian packages --------------------------------------------------------------------------
need_apt=()
command -v java >/dev/null 2>&1 || need_apt+=(openjdk-17-jre-headless)
command -v mvn >/dev/null 2>&1 || need_apt+=(maven)
command -v javac >/dev/null 2>&1 || need_apt+=(openjdk-17-jdk-headless)
# Headless browser for the UI checks, and CJK fonts for the report charts.
command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)
command -v chromedriver >/dev/null 2>&1 || need_apt+=(chromium-driver)
[ -n "$(fc-list :lang=zh 2>/dev/null | head -n 1)" ] || need_apt+=(fonts-noto-cjk)
if [ "${#need_apt[@]}" -gt 0 ]; then
  say "installing Debian packages: ${need_apt[*]}"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

# --- Python -----------------------------------------------------------------------------------
py_stamp="$stamp_dir/python.sha"
py_hash="$(sha256sum pyproject.toml | cut -d' ' -f1)"
if [ ! -x .venv/bin/python ] || [ "$(cat "$py_stamp" 2>/dev/null)" != "$py_hash" ]; then
  say "creating the Python venv (.venv) with the pinned stack"
  [ -x .venv/bin/python ] || python3.11 -m venv .venv 2>/dev/null || python3 -m venv .venv
  .venv/bin/python -m pip install -q --upgrade pip uv
  .venv/bin/uv pip install -q --python .venv/bin/python -e ".[dev]"
  echo "$py_hash" > "$py_stamp"
else
  say "Python venv up to date"
fi

# --- JARs -------------------------------------------------------------------------------------
jar_stamp="$stamp_dir/jars.sha"
jar_hash="$(sha256sum infra/pom.xml | cut -d' ' -f1)"
if [ ! -d infra/jars/core ] || [ "$(cat "$jar_stamp" 2>/dev/null)" != "$jar_hash" ]; then
  say "resolving Spark JARs with Maven into infra/jars/"
  rm -rf infra/jars && mkdir -p infra/jars/core infra/jars/sparknlp
  mvn -q -B -f infra/pom.xml dependency:copy-dependencies -DoutputDirectory="$root/infra/jars/core"
  # Spark NLP is tried on its own: the reachable Maven Central may not serve it (see infra/pom.xml).
  if mvn -q -B -f infra/pom.xml -Psparknlp dependency:copy-dependencies \
        -DincludeGroupIds=com.johnsnowlabs.nlp -DoutputDirectory="$root/infra/jars/sparknlp" >/dev/null 2>&1; then
    say "Spark NLP JAR resolved"
  else
    say "WARNING: com.johnsnowlabs.nlp:spark-nlp_2.13:7.0.0 is not available from Maven here;"
    say "         Spark NLP annotators stay disabled (the Spark ML text models still run)."
  fi
  echo "$jar_hash" > "$jar_stamp"
else
  say "Spark JARs up to date"
fi
# --- the local-lake file system (infra/java): Hadoop's local FS without a forked chmod per file ----
hadoop_api="$(ls .venv/lib/python3.11/site-packages/pyspark/jars/hadoop-client-api-*.jar | head -n 1)"
fs_jar="infra/jars/localfs/minsheng-localfs.jar"
fs_stamp="$stamp_dir/localfs.sha"
fs_hash="$(cat infra/java/minsheng/hadoop/*.java "$hadoop_api" | sha256sum | cut -d' ' -f1)"
if [ ! -f "$fs_jar" ] || [ "$(cat "$fs_stamp" 2>/dev/null)" != "$fs_hash" ]; then
  say "compiling the local-lake file system into $fs_jar"
  fs_build="$(mktemp -d)"
  javac --release 17 -nowarn -cp "$hadoop_api" -d "$fs_build" infra/java/minsheng/hadoop/*.java
  mkdir -p "$(dirname "$fs_jar")" && jar cf "$fs_jar" -C "$fs_build" . && rm -rf "$fs_build"
  echo "$fs_hash" > "$fs_stamp"
fi
.venv/bin/python -m jobs.common.jars --check

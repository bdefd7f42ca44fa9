#!/usr/bin/env bash
# Submit one `minsheng` step to a Spark cluster in client deploy mode with the cluster profile.
#
#   infra/spark-submit.sh STEP [STEP ARGS...]
#   infra/spark-submit.sh ingest --from 2026-03-01 --to 2026-03-01
#
# PySpark on a standalone master runs in client mode only: the driver is this process, the executors
# run on the workers. On Kubernetes use the SparkApplication manifests in infra/k8s instead.
#
# Settings (environment):
#   MINSHENG_SPARK_MASTER      master URL (default: `infra/spark-cluster.sh url`, spark://127.0.0.1:7077)
#   MINSHENG_PROFILE           configuration profile (default cluster)
#   SPARK_DRIVER_MEMORY        driver heap (default 1g)
#   SPARK_EXECUTOR_MEMORY      heap per executor (default 1g)
#   SPARK_EXECUTOR_CORES       cores per executor (default 1)
#   SPARK_TOTAL_EXECUTOR_CORES cores the application may take from the cluster (default 2)
#   SPARK_SUBMIT_EXTRA         extra spark-submit arguments (word-split), e.g. "--conf spark.x=y"
#   AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN  handed to the executors (through a
#                              private properties file, never the command line) when set; on a real
#                              cluster prefer an instance role / IRSA and leave them unset.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
[ $# -ge 1 ] || { sed -n '2,20p' "$0" >&2; exit 2; }

python="${PYSPARK_PYTHON:-$root/.venv/bin/python}"
[ -x "$python" ] || { echo "[spark-submit] ERROR: no Python at $python (run make setup)" >&2; exit 1; }
SPARK_HOME="$("$python" -c 'import os, pyspark; print(os.path.dirname(pyspark.__file__))')"
export SPARK_HOME
export PYSPARK_PYTHON="$python" PYSPARK_DRIVER_PYTHON="$python"
export SPARK_LOCAL_IP="${SPARK_LOCAL_IP:-127.0.0.1}"
export MINSHENG_PROFILE="${MINSHENG_PROFILE:-cluster}"
export PYTHONPATH="$root${PYTHONPATH:+:$PYTHONPATH}"
# Our own (empty) conf dir: no stray spark-defaults.conf decides anything.
conf_dir="$(mktemp -d)"
trap 'rm -rf "$conf_dir"' EXIT
export SPARK_CONF_DIR="$conf_dir"

master="${MINSHENG_SPARK_MASTER:-$(bash "$root/infra/spark-cluster.sh" url)}"
step="$1"
shift

jars="$(ls "$root"/infra/jars/core/*.jar 2>/dev/null | paste -sd, -)"
[ -n "$jars" ] || { echo "[spark-submit] ERROR: no JARs in infra/jars/core (run make setup)" >&2; exit 1; }

# Executor credentials go through a properties file readable only by us (not visible in `ps`).
props="$conf_dir/minsheng.properties"
umask 077
: >"$props"
for var in AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN AWS_REGION MINSHENG_PII_KEY; do
  if [ -n "${!var:-}" ]; then
    printf 'spark.executorEnv.%s=%s\n' "$var" "${!var}" >>"$props"
  fi
done
# The executors run the project's Python.
printf 'spark.pyspark.python=%s\n' "$python" >>"$props"

# Not exec: the trap must remove the properties file afterwards.
# shellcheck disable=SC2086
"$SPARK_HOME/bin/spark-submit" \
  --master "$master" \
  --deploy-mode client \
  --name "minsheng-$step" \
  --properties-file "$props" \
  --jars "$jars" \
  --driver-memory "${SPARK_DRIVER_MEMORY:-1g}" \
  --executor-memory "${SPARK_EXECUTOR_MEMORY:-1g}" \
  --executor-cores "${SPARK_EXECUTOR_CORES:-1}" \
  --total-executor-cores "${SPARK_TOTAL_EXECUTOR_CORES:-2}" \
  --conf "spark.driver.host=$SPARK_LOCAL_IP" \
  --conf "spark.driver.bindAddress=$SPARK_LOCAL_IP" \
  ${SPARK_SUBMIT_EXTRA:-} \
  "$root/infra/spark_main.py" --profile "$MINSHENG_PROFILE" "$step" "$@"

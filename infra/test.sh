#!/usr/bin/env bash
# Runs the whole test suite with the test profile. Services the tests need (S3 server on loopback,
# Airflow metadata DB, MLflow store, a Spark standalone cluster, headless Chromium) are started by the
# tests' own fixtures and stopped afterwards.
set -uo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
export MINSHENG_PROFILE=test SPARK_LOCAL_IP=127.0.0.1 PYTHONHASHSEED=0
mkdir -p var/log
# `make test` (and CI) runs everything but the tests marked `slow` (whole-city end-to-end runs);
# `make test-all` (MINSHENG_TEST_ALL=1) runs those too.
marker=(-m "not slow")
[ "${MINSHENG_TEST_ALL:-0}" = 1 ] && marker=()
.venv/bin/python -m pytest -q -p no:cacheprovider "${marker[@]}" "$@"
rc=$?
if [ "$rc" -eq 5 ]; then
  echo "no tests were collected" >&2
  exit 1
fi
exit "$rc"

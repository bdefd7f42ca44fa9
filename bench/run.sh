#!/usr/bin/env bash
# `make bench [BENCH="generate indicators ..."]`: benchmarks, not tests. Each writes its figures to
# bench/results/<name>.json plus one line of text; sizes below are the defaults quoted in the README
# (pass BENCH_ARGS to a single benchmark to change them). `demo` and `daily_day` (run in that order:
# the second works on the first's lake) are not in the default set: together they take most of an hour.
set -euo pipefail
cd "$(dirname "$0")/.."
export MINSHENG_PROFILE="${MINSHENG_PROFILE:-local}" SPARK_LOCAL_IP=127.0.0.1
PY=.venv/bin/python
which="${BENCH:-generate indicators classify insight cluster}"
for b in $which; do
  echo "[bench] $b"
  case "$b" in
    generate)   $PY bench/generate_bench.py ${BENCH_ARGS:---sizes 1000000 10000000 --days 365} ;;
    indicators) $PY bench/indicators_duckdb_bench.py ${BENCH_ARGS:---orders 1000000 --days 1} ;;
    classify)   $PY bench/classify_bench.py real && $PY bench/classify_bench.py score ;;
    insight)    $PY bench/insight_bench.py ${BENCH_ARGS:-} ;;
    cluster)    $PY bench/cluster_bench.py ${BENCH_ARGS:---orders 1000000 --days 365} ;;
    # `make demo` timed end to end (its own stage times), then one day of a 30 M-order city on its lake
    demo)       bash infra/demo.sh && $PY bench/demo_summary.py ;;
    daily_day)  bash bench/daily_day_bench.sh ${BENCH_ARGS:-} ;;
    # a generated city's whole history bronze → gold, step by step (BENCH_ARGS names its landing
    # zone, a scratch lake and the range: see bench/history_bench.py)
    history)    $PY bench/history_bench.py ${BENCH_ARGS:?history needs BENCH_ARGS=\"--landing DIR --lake DIR --from D --to D [--tag T]\"} ;;
    *) echo "unknown benchmark $b (generate indicators classify insight cluster demo daily_day history)" >&2; exit 2 ;;
  esac
done

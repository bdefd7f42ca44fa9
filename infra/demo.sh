#!/usr/bin/env bash
# `make demo`: a small city end to end, through Airflow.
#   1. the S3-compatible server on loopback (infra/s3-server.sh), the reference data into ref_* tables;
#   2. a synthetic city: MINSHENG_DEMO_ORDERS orders (default 1,000,000) over MINSHENG_DEMO_DAYS days
#      (default 365) ending yesterday (or from MINSHENG_DEMO_START), seed MINSHENG_DEMO_SEED;
#   3. Airflow standalone on 127.0.0.1 (infra/airflow.sh start); the history (all days but the last)
#      through the minsheng_backfill DAG — one run, each step over the whole range in month chunks
#      inside one Spark session per task — then the last day through minsheng_daily, as every later
#      day would arrive;
#   4. minsheng_models (classifiers + forecast, the month before the last day) before the last day, so
#      the daily run scores with champions; minsheng_weekly (类案 + 每周一议 report) for the last
#      complete week (MINSHENG_DEMO_MODELS=0 / MINSHENG_DEMO_WEEKLY=0 leave them out);
#   5. `minsheng status`, and where everything is.
# Airflow is stopped at the end (MINSHENG_DEMO_KEEP_AIRFLOW=1 keeps it); `make airflow-ui` reopens it
# on the same metadata DB with the demo's run history. The S3 server keeps running (its state is in memory).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PY="$ROOT/.venv/bin/python"
ORDERS="${MINSHENG_DEMO_ORDERS:-1000000}"
DAYS="${MINSHENG_DEMO_DAYS:-365}"
# By default the city's history ends yesterday (Asia/Shanghai), so the last day is the one the
# scheduler itself runs when minsheng_daily is unpaused — as every later day would arrive.
YESTERDAY="$("$PY" -c "import datetime as d, zoneinfo as z; print(d.datetime.now(z.ZoneInfo('Asia/Shanghai')).date() - d.timedelta(days=1))")"
START="${MINSHENG_DEMO_START:-$("$PY" -c "import datetime as d; print(d.date.fromisoformat('$YESTERDAY') - d.timedelta(days=$DAYS - 1))")}"
SEED="${MINSHENG_DEMO_SEED:-12345}"
export MINSHENG_PROFILE="${MINSHENG_PROFILE:-local}"
export SPARK_LOCAL_IP=127.0.0.1
export AWS_ACCESS_KEY_ID="${AWS_ACCESS_KEY_ID:-minsheng-demo}"
export AWS_SECRET_ACCESS_KEY="${AWS_SECRET_ACCESS_KEY:-minsheng-demo-secret}"
export AWS_DEFAULT_REGION="${AWS_DEFAULT_REGION:-us-east-1}"
export MINSHENG_S3_ENDPOINT_URL="${MINSHENG_S3_ENDPOINT_URL:-http://127.0.0.1:${MINSHENG_S3_PORT:-9000}}"
export MINSHENG_PII_KEY="${MINSHENG_PII_KEY:-$(mkdir -p var && { [ -s var/pii-key ] || (umask 077; "$PY" -c 'import secrets; print(secrets.token_hex(32))' > var/pii-key); cat var/pii-key; })}"
T0=$(date +%s)
# Each `say` opens a stage; its wall time (to the next `say`) goes to var/log/demo-summary.json.
STAGES=()
say() { printf '[demo] %s  (%ds)\n' "$*" "$(( $(date +%s) - T0 ))"; STAGES+=("$(( $(date +%s) - T0 ))|$*"); }

LAST="$("$PY" -c "import datetime as d; print(d.date.fromisoformat('$START') + d.timedelta(days=$DAYS - 1))")"
HIST_TO="$("$PY" -c "import datetime as d; print(d.date.fromisoformat('$LAST') - d.timedelta(days=1))")"
NEXT="$("$PY" -c "import datetime as d; print(d.date.fromisoformat('$LAST') + d.timedelta(days=1))")"

# The demo's city replaces whatever the local lake held: its history ends yesterday, so yesterday's
# demo city (shifted by a day, same order ids) must not mix with today's. MINSHENG_DEMO_KEEP_LAKE=1 keeps it.
if [ "${MINSHENG_DEMO_KEEP_LAKE:-0}" != 1 ]; then
  say "fresh lake (removing var/lake var/landing var/ground_truth var/tmp)"
  rm -rf var/lake var/landing var/ground_truth var/tmp
fi
say "S3 server"
bash infra/s3-server.sh start
say "reference data"
.venv/bin/minsheng reference load >var/log/demo-reference.json
say "generating $ORDERS orders over $DAYS days from $START (seed $SEED)"
.venv/bin/minsheng generate --orders "$ORDERS" --start "$START" --days "$DAYS" --seed "$SEED" >var/log/demo-generate.json
say "Airflow"
bash infra/airflow.sh start
eval "$(bash infra/airflow.sh env)"
# An interrupted earlier demo may have left runs "running" in the metadata DB; on this fresh lake their
# tasks would be retried as zombies against data that is not there yet (the backfill's own stale run is
# failed by --fail-stale below).
for dag in minsheng_daily minsheng_models minsheng_weekly; do "$PY" -m jobs.ops.airflow_api fail-stale "$dag"; done
if [ "$DAYS" -gt 1 ]; then
  say "history $START .. $HIST_TO through minsheng_backfill"
  "$PY" -m jobs.ops.airflow_api run minsheng_backfill --fail-stale --report var/log/demo-run-backfill.json --run-id "demo_history_${START}_${HIST_TO}_$T0" \
      --conf "{\"date_from\": \"$START\", \"date_to\": \"$HIST_TO\", \"chunk_days\": ${MINSHENG_DEMO_CHUNK_DAYS:-$DAYS}}"
fi
# A DAG's run for the interval that starts on city day $2: by default (the city ends yesterday) the
# scheduler's own run once the DAG is unpaused, as in production; with an explicit MINSHENG_DEMO_START
# the scheduler's latest intervals have no data, so the run goes through `airflow dags test` (recorded
# in the same metadata DB) with a logical date whose inferred interval is that one.
run_interval() {  # dag_id first_day logical_date report
  if [ "$LAST" = "$YESTERDAY" ]; then
    "$PY" -m jobs.ops.airflow_api scheduled "$1" --day "$2" --report "$4"
  else
    .venv/bin/airflow dags test "$1" "$3" >"var/log/demo-$1.log" 2>&1 || { tail -n 40 "var/log/demo-$1.log"; exit 1; }
  fi
}
# The monthly retrain covers the last complete month before the last day; it runs before the last
# day (so that day is scored by champions) unless the last day closes that month itself.
MONTH_FIRST="$("$PY" -c "import datetime as d; l = d.date.fromisoformat('$LAST') + d.timedelta(days=1); m = l.replace(day=1) - d.timedelta(days=1); print(m.replace(day=1))")"
MONTH_NEXT="$("$PY" -c "import datetime as d; l = d.date.fromisoformat('$LAST') + d.timedelta(days=1); print(l.replace(day=1))")"
WEEK_FIRST="$("$PY" -c "import datetime as d; n = d.date.fromisoformat('$NEXT'); print(n - d.timedelta(days=n.weekday() + 7))")"
models() {
  if [ "${MINSHENG_DEMO_MODELS:-1}" = 1 ]; then
    say "models: minsheng_models for the month from $MONTH_FIRST (classifiers + forecast)"
    run_interval minsheng_models "$MONTH_FIRST" "${MONTH_NEXT}T00:00:00+08:00" var/log/demo-run-models.json
  fi
}
if [ "$MONTH_NEXT" != "$NEXT" ]; then models; fi
say "the last day $LAST through minsheng_daily"
run_interval minsheng_daily "$LAST" "${NEXT}T00:00:00+08:00" var/log/demo-run-daily.json
if [ "$MONTH_NEXT" = "$NEXT" ]; then models; fi
if [ "${MINSHENG_DEMO_WEEKLY:-1}" = 1 ] && [ "$WEEK_FIRST" \> "$START" ]; then
  say "weekly: 类案 and the 每周一议 report of the week from $WEEK_FIRST through minsheng_weekly"
  run_interval minsheng_weekly "$WEEK_FIRST" "$("$PY" -c "import datetime as d; print(d.date.fromisoformat('$WEEK_FIRST') + d.timedelta(days=7))")T00:00:00+08:00" var/log/demo-run-weekly.json
fi
say "lake status"
.venv/bin/minsheng status | tee var/log/demo-status.txt
if [ "${MINSHENG_DEMO_KEEP_AIRFLOW:-0}" != 1 ]; then bash infra/airflow.sh stop; fi
ELAPSED=$(( $(date +%s) - T0 ))
printf '%s\n' "${STAGES[@]}" | "$PY" -c '
import json, sys
orders, days, start, total = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
marks = [ln.split("|", 1) for ln in sys.stdin.read().splitlines() if ln]
ends = [int(t) for t, _ in marks[1:]] + [total]
stages = [{"stage": name, "seconds": end - int(t)} for (t, name), end in zip(marks, ends)]
json.dump({"orders": orders, "days": days, "start": start, "total_seconds": total, "stages": stages},
          open("var/log/demo-summary.json", "w"), indent=1, ensure_ascii=False)' "$ORDERS" "$DAYS" "$START" "$ELAPSED"
BUCKET="$("$PY" -c 'from jobs.common import s3; from jobs.common.config import load_settings; print(s3.publish_bucket(load_settings()))')"
LAKE="$("$PY" -c 'from jobs.common.config import load_settings; s = load_settings(); print(s.lake_uri, s.landing_uri)')"
cat <<EOT

[demo] done in ${ELAPSED}s ($ORDERS orders, $DAYS days from $START)
  lake (Delta)        ${LAKE%% *}   (bronze/ silver/ gold/ ref/ ops/)
  landing zone        ${LAKE##* }
  published           s3://$BUCKET/ on $MINSHENG_S3_ENDPOINT_URL  (in memory; stop with: bash infra/s3-server.sh stop)
                      e.g. AWS_ACCESS_KEY_ID=$AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY=... aws --endpoint-url $MINSHENG_S3_ENDPOINT_URL s3 ls s3://$BUCKET/ --recursive
  weekly report       s3://$BUCKET/reports/weekly/<monday>/  (PNG/PDF copies under var/artifacts/report/)
  Airflow task logs   $ROOT/var/airflow/logs      (server log: var/log/airflow.log)
  demo logs           var/log/demo-*.json, var/log/demo-status.txt
  Airflow UI          make airflow-ui  ->  http://127.0.0.1:8080  user admin, password in var/airflow/admin-password
  MLflow UI           make mlflow-ui
  lake summary        .venv/bin/minsheng status
EOT

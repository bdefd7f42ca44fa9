#!/usr/bin/env bash
# The daily run for one day of a 30 M-order city (30,000,000 / 1,095 days ≈ 27,400 orders), through
# Airflow's scheduler like any day: after `make demo` (its lake, Airflow DB and MLflow champions; the S3
# server is started when it is not running), generate the day after the demo's last day at the 30 M
# city's daily volume into the same landing zone, trigger minsheng_daily for it and record the run's
# wall time and per-task durations in bench/results/daily_day.json.
#   bash bench/daily_day_bench.sh [ORDERS_PER_DAY]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PY="$ROOT/.venv/bin/python"
PER_DAY="${1:-27397}"
export MINSHENG_PROFILE="${MINSHENG_PROFILE:-local}" SPARK_LOCAL_IP=127.0.0.1
export AWS_ACCESS_KEY_ID="${AWS_ACCESS_KEY_ID:-minsheng-demo}" AWS_SECRET_ACCESS_KEY="${AWS_SECRET_ACCESS_KEY:-minsheng-demo-secret}"
export AWS_DEFAULT_REGION="${AWS_DEFAULT_REGION:-us-east-1}"
export MINSHENG_S3_ENDPOINT_URL="${MINSHENG_S3_ENDPOINT_URL:-http://127.0.0.1:${MINSHENG_S3_PORT:-9000}}"
export MINSHENG_PII_KEY="$(cat var/pii-key)"   # the demo's key: pseudonyms must join with its history
# the lake's last accepted day (the demo's last day)
LAST="$("$PY" - <<'PYEOF'
from pyspark.sql import functions as F
from jobs.common.catalogue import Catalogue
from jobs.common.session import get_spark
cat = Catalogue()
print(cat.read(get_spark(cat.settings), "dwd_work_order").agg(F.max("accept_date")).first()[0])
PYEOF
)"
DAY="$("$PY" -c "import datetime as d; print(d.date.fromisoformat('$LAST'.strip().splitlines()[-1]) + d.timedelta(days=1))")"
# The state a previous clean day leaves: every silver/gold table's last clean PII scan is recorded, so the
# day's scan reads only what the day wrote (a lake from an older demo gets its full baseline scan here,
# outside the timed run).
T_SCAN=$(date +%s)
.venv/bin/minsheng pii-scan >var/log/bench-daily-prescan.json
PRESCAN=$(( $(date +%s) - T_SCAN ))
echo "[bench] generating $PER_DAY orders for $DAY (the daily volume of a 30 M-order / 3-year city)"
.venv/bin/minsheng generate --orders "$PER_DAY" --start "$DAY" --days 1 --seed 30030 >var/log/bench-daily-generate.json
bash infra/s3-server.sh start   # publish needs it; a demo stopped since has none running
bash infra/airflow.sh start
eval "$(bash infra/airflow.sh env)"
T0=$(date +%s)
# The day after the demo's last is today (city time): its interval has not ended, and Airflow 3 never
# starts a run whose logical date is in the future, so this is a manual run now with that day's interval.
"$PY" -m jobs.ops.airflow_api run minsheng_daily --run-id "bench_30m_day_${DAY}_$T0" --day "$DAY" \
    --report var/bench/daily-day-run.json
WALL=$(( $(date +%s) - T0 ))
bash infra/airflow.sh stop
"$PY" - "$PER_DAY" "$DAY" "$WALL" "$PRESCAN" <<'PYEOF'
import datetime as dt, json, os, sys
per_day, day, wall, prescan = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
run = json.load(open("var/bench/daily-day-run.json"))
gen = json.load(open("var/log/bench-daily-generate.json"))
out = {"day": day, "orders_generated": gen.get("orders"), "orders_per_day_target": per_day,
       "run_state": run["state"], "wall_seconds_trigger_to_done": wall,
       "task_seconds": {k: v["duration_s"] for k, v in sorted(run["tasks"].items())},
       "history_in_lake": "the make-demo city (see bench/results/demo.json)", "cpus": os.cpu_count(),
       "baseline_pii_scan_seconds_untimed": prescan,
       "measured_at": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")}
os.makedirs("bench/results", exist_ok=True)
json.dump(out, open("bench/results/daily_day.json", "w"), indent=1)
print(f"daily run, one day of a 30 M-order city ({out['orders_generated']:,} orders): {run['state']} in {wall} s "
      f"(trigger to done, through the scheduler); slowest tasks: "
      + ", ".join(f"{k} {v:.0f} s" for k, v in sorted(out["task_seconds"].items(), key=lambda kv: -(kv[1] or 0))[:4]))
PYEOF

#!/usr/bin/env bash
# Airflow for minsheng on this machine: AIRFLOW_HOME=var/airflow, SQLite metadata DB, this project's dags/.
#   infra/airflow.sh init        migrate the DB (idempotent), admin user, pools, connections
#   infra/airflow.sh standalone  init, then `airflow standalone` in the foreground (make airflow-ui)
#   infra/airflow.sh start|stop|status   the same in the background (PID var/run/airflow.pid,
#                                        log var/log/airflow.log); start waits until the UI answers
#   infra/airflow.sh env         print the exports (eval "$(infra/airflow.sh env)" to use the CLI)
#   infra/airflow.sh airflow ARGS...   run the airflow CLI with this environment
# UI: http://127.0.0.1:${MINSHENG_AIRFLOW_PORT:-8080}  user admin, password in var/airflow/admin-password
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
HOST=127.0.0.1
PORT="${MINSHENG_AIRFLOW_PORT:-8080}"
HOME_DIR="${MINSHENG_AIRFLOW_HOME:-$ROOT/var/airflow}"
RUN_DIR="$ROOT/var/run"
LOG_DIR="$ROOT/var/log"
PID_FILE="${MINSHENG_AIRFLOW_PIDFILE:-$RUN_DIR/airflow.pid}"
LOG_FILE="${MINSHENG_AIRFLOW_LOG:-$LOG_DIR/airflow.log}"
PY="$ROOT/.venv/bin/python"
AF="$ROOT/.venv/bin/airflow"

say() { printf '[airflow] %s\n' "$*"; }

secret() {  # a random value generated once and kept in $HOME_DIR/<name>
  local f="$HOME_DIR/$1"
  [[ -s "$f" ]] || { (umask 077; "$PY" -c 'import secrets; print(secrets.token_urlsafe(24))' >"$f"); }
  cat "$f"
}

export_env() {
  mkdir -p "$HOME_DIR" "$RUN_DIR" "$LOG_DIR"
  export AIRFLOW_HOME="$HOME_DIR"
  export AIRFLOW__CORE__DAGS_FOLDER="$ROOT/dags"
  export AIRFLOW__CORE__LOAD_EXAMPLES=False
  export AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION=True
  export AIRFLOW__CORE__EXECUTOR=LocalExecutor
  # 2 cores here: at most 3 task processes at once (each may start a Spark JVM).
  export AIRFLOW__CORE__PARALLELISM="${MINSHENG_AIRFLOW_PARALLELISM:-3}"
  export AIRFLOW__DATABASE__SQL_ALCHEMY_CONN="sqlite:///$HOME_DIR/airflow.db"
  export AIRFLOW__API__HOST="$HOST"
  export AIRFLOW__API__PORT="$PORT"
  export AIRFLOW__API__BASE_URL="http://$HOST:$PORT"
  export AIRFLOW__CORE__EXECUTION_API_SERVER_URL="http://$HOST:$PORT/execution/"
  export AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS="admin:admin"
  export AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE="$HOME_DIR/simple_auth_manager_passwords.json"
  export AIRFLOW__API_AUTH__JWT_SECRET="$(secret jwt-secret)"
  export AIRFLOW__API__SECRET_KEY="$(secret api-secret-key)"
  export AIRFLOW__LOGGING__BASE_LOG_FOLDER="$HOME_DIR/logs"
  export AIRFLOW__SCHEDULER__ENABLE_HEALTH_CHECK=False
  export PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}"
  export SPARK_LOCAL_IP="${SPARK_LOCAL_IP:-127.0.0.1}"
  export PATH="$ROOT/.venv/bin:$PATH"
}

write_admin() {  # the known local admin: user admin, password kept in var/airflow/admin-password
  local pw
  pw="$(secret admin-password)"
  printf '{"admin": "%s"}\n' "$pw" >"$AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE"
  chmod 600 "$AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE"
}

init() {
  export_env
  write_admin
  # One Python process: migrate only when not at head, pools of one slot per Delta writer, the
  # cluster profile's Spark connection (jobs/ops/airflow_init.py).
  "$PY" -m jobs.ops.airflow_init 2>>"$LOG_DIR/airflow-init.log" || { tail -n 30 "$LOG_DIR/airflow-init.log" >&2; return 1; }
}

is_running() { [[ -f "$PID_FILE" ]] && kill -0 "$(cat "$PID_FILE")" 2>/dev/null; }

wait_ready() {
  local i
  for i in $(seq 1 180); do
    if "$PY" - "$HOST" "$PORT" <<'PY'
import sys, urllib.request
try:
    urllib.request.urlopen(f"http://{sys.argv[1]}:{sys.argv[2]}/api/v2/monitor/health", timeout=2)
except Exception:
    sys.exit(1)
PY
    then return 0; fi
    is_running || return 1
    sleep 1
  done
  return 1
}

start() {
  if is_running; then say "already running (pid $(cat "$PID_FILE")) on http://$HOST:$PORT"; return 0; fi
  init
  say "starting airflow standalone on http://$HOST:$PORT (log $LOG_FILE)"
  setsid nohup "$AF" standalone >>"$LOG_FILE" 2>&1 < /dev/null &
  echo $! >"$PID_FILE"
  if ! wait_ready; then say "airflow did not come up; see $LOG_FILE"; tail -n 30 "$LOG_FILE" >&2; stop; return 1; fi
  say "up: http://$HOST:$PORT  user admin  password $(cat "$HOME_DIR/admin-password")"
}

stop() {
  if ! is_running; then rm -f "$PID_FILE"; say "not running"; return 0; fi
  local pid; pid="$(cat "$PID_FILE")"
  # standalone was started with setsid: its process group holds the scheduler, API server, etc.
  kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 30); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
  kill -KILL -- "-$pid" 2>/dev/null || true
  rm -f "$PID_FILE"
  say "stopped"
}

cmd="${1:-standalone}"; shift || true
case "$cmd" in
  env) export_env; env | grep -E '^(AIRFLOW_HOME|AIRFLOW__|PYTHONPATH=|SPARK_LOCAL_IP=)' | sed 's/^/export /; s/=\(.*\)$/="\1"/' ;;
  init) init ;;
  standalone)
    init
    say "UI: http://$HOST:$PORT  user admin  password $(cat "$HOME_DIR/admin-password")"
    exec "$AF" standalone ;;
  start) export_env; start ;;
  stop) export_env; stop ;;
  status) export_env; if is_running; then say "running (pid $(cat "$PID_FILE")) on http://$HOST:$PORT"; else say "not running"; exit 1; fi ;;
  airflow) export_env; exec "$AF" "$@" ;;
  *) echo "usage: $0 init|standalone|start|stop|status|env|airflow ARGS" >&2; exit 2 ;;
esac

#!/usr/bin/env bash
# Start / stop the MLflow tracking server on loopback over the project's tracking store (SQLite).
#
#   infra/mlflow.sh start|stop|status
#
# Environment (defaults in brackets):
#   MINSHENG_HOME                 project folder [this script's parent folder]
#   MINSHENG_MLFLOW_TRACKING_URI  tracking store [sqlite:///$MINSHENG_HOME/var/mlflow/mlflow.db]
#   MINSHENG_MLFLOW_ARTIFACT_ROOT default artifact root for new experiments [$MINSHENG_HOME/var/mlflow/artifacts]
#   MLFLOW_PORT                   port on 127.0.0.1 [5000]
#   MLFLOW_PID_FILE               PID file [$MINSHENG_HOME/var/run/mlflow-$MLFLOW_PORT.pid]
#   MLFLOW_LOG_FILE               server log [$MINSHENG_HOME/var/log/mlflow-$MLFLOW_PORT.log]
set -euo pipefail

HOME_DIR="${MINSHENG_HOME:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
PORT="${MLFLOW_PORT:-5000}"
STORE="${MINSHENG_MLFLOW_TRACKING_URI:-sqlite:///${HOME_DIR}/var/mlflow/mlflow.db}"
ARTIFACTS="${MINSHENG_MLFLOW_ARTIFACT_ROOT:-${HOME_DIR}/var/mlflow/artifacts}"
PID_FILE="${MLFLOW_PID_FILE:-${HOME_DIR}/var/run/mlflow-${PORT}.pid}"
LOG_FILE="${MLFLOW_LOG_FILE:-${HOME_DIR}/var/log/mlflow-${PORT}.log}"
MLFLOW_BIN="${MLFLOW_BIN:-${HOME_DIR}/.venv/bin/mlflow}"

running() { [[ -f "$PID_FILE" ]] && kill -0 "$(cat "$PID_FILE")" 2>/dev/null; }

start() {
  if running; then echo "mlflow: already running (pid $(cat "$PID_FILE")) on http://127.0.0.1:${PORT}"; return 0; fi
  mkdir -p "$(dirname "$PID_FILE")" "$(dirname "$LOG_FILE")" "$ARTIFACTS"
  if [[ "$STORE" == sqlite:///* ]]; then mkdir -p "$(dirname "${STORE#sqlite:///}")"; fi
  # setsid: the server and its workers get their own process group, which `stop` ends as a whole.
  setsid "$MLFLOW_BIN" server --host 127.0.0.1 --port "$PORT" --workers 1 \
    --backend-store-uri "$STORE" --default-artifact-root "$ARTIFACTS" --no-serve-artifacts \
    >"$LOG_FILE" 2>&1 < /dev/null &
  echo $! > "$PID_FILE"
  for _ in $(seq 1 120); do
    if curl -fsS "http://127.0.0.1:${PORT}/health" >/dev/null 2>&1; then
      echo "mlflow: up on http://127.0.0.1:${PORT} (pid $(cat "$PID_FILE"), store ${STORE})"; return 0
    fi
    if ! running; then echo "mlflow: server exited; see ${LOG_FILE}" >&2; tail -20 "$LOG_FILE" >&2; rm -f "$PID_FILE"; return 1; fi
    sleep 1
  done
  echo "mlflow: not healthy after 120 s; see ${LOG_FILE}" >&2; stop; return 1
}

stop() {
  if ! [[ -f "$PID_FILE" ]]; then echo "mlflow: not running (no ${PID_FILE})"; return 0; fi
  local pid; pid="$(cat "$PID_FILE")"
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM -- "-${pid}" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 30); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    kill -KILL -- "-${pid}" 2>/dev/null || true
  fi
  rm -f "$PID_FILE"; echo "mlflow: stopped (pid ${pid})"
}

status() {
  if running; then echo "mlflow: running (pid $(cat "$PID_FILE")) on http://127.0.0.1:${PORT}"; else echo "mlflow: stopped"; return 3; fi
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac

#!/usr/bin/env bash
# The S3-compatible server on loopback that minsheng publishes to locally: moto_server (moto[server]).
#   infra/s3-server.sh start|stop|status|restart     (idempotent)
# Listens on ${MINSHENG_S3_HOST:-127.0.0.1}:${MINSHENG_S3_PORT:-9000}; PID file var/run/s3-server.pid,
# log var/log/s3-server.log. State is in memory: stopping the server drops every bucket.
# Clients need AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY set (any values for moto).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
HOST="${MINSHENG_S3_HOST:-127.0.0.1}"
PORT="${MINSHENG_S3_PORT:-9000}"
RUN_DIR="$ROOT/var/run"
LOG_DIR="$ROOT/var/log"
PID_FILE="$RUN_DIR/s3-server.pid"
LOG_FILE="$LOG_DIR/s3-server.log"
MOTO="${MOTO_SERVER:-$ROOT/.venv/bin/moto_server}"

is_running() {
  [[ -f "$PID_FILE" ]] || return 1
  local pid
  pid="$(cat "$PID_FILE")"
  [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null
}

listening() {
  "$ROOT/.venv/bin/python" - "$HOST" "$PORT" <<'PY'
import socket, sys
s = socket.socket()
s.settimeout(0.5)
sys.exit(0 if s.connect_ex((sys.argv[1], int(sys.argv[2]))) == 0 else 1)
PY
}

start() {
  if is_running; then
    echo "s3-server already running (pid $(cat "$PID_FILE")) on http://$HOST:$PORT"
    return 0
  fi
  if listening; then
    echo "s3-server: port $HOST:$PORT is taken by another process; set MINSHENG_S3_PORT" >&2
    return 1
  fi
  [[ -x "$MOTO" ]] || { echo "s3-server: $MOTO not found (pip install 'moto[server]==5.2.5')" >&2; return 1; }
  mkdir -p "$RUN_DIR" "$LOG_DIR"
  nohup "$MOTO" -H "$HOST" -p "$PORT" >>"$LOG_FILE" 2>&1 &
  echo $! >"$PID_FILE"
  for _ in $(seq 1 100); do
    if listening; then
      echo "s3-server started (pid $(cat "$PID_FILE")) on http://$HOST:$PORT; log $LOG_FILE"
      return 0
    fi
    if ! is_running; then break; fi
    sleep 0.1
  done
  echo "s3-server failed to start; see $LOG_FILE" >&2
  tail -n 20 "$LOG_FILE" >&2 || true
  rm -f "$PID_FILE"
  return 1
}

stop() {
  if ! is_running; then
    rm -f "$PID_FILE"
    echo "s3-server not running"
    return 0
  fi
  local pid
  pid="$(cat "$PID_FILE")"
  kill "$pid"
  for _ in $(seq 1 50); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -0 "$pid" 2>/dev/null && kill -9 "$pid" 2>/dev/null || true
  rm -f "$PID_FILE"
  echo "s3-server stopped (pid $pid)"
}

status() {
  if is_running; then
    echo "s3-server running (pid $(cat "$PID_FILE")) on http://$HOST:$PORT"
  else
    echo "s3-server not running"
    return 3
  fi
}

case "${1:-status}" in
  start) start ;;
  stop) stop ;;
  restart) stop; start ;;
  status) status ;;
  *) echo "usage: $0 start|stop|status|restart" >&2; exit 2 ;;
esac

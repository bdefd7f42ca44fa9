#!/usr/bin/env bash
# A real Spark standalone cluster on loopback: one master and N workers, each a JVM started through
# `spark-class` from the pyspark installation in .venv (SPARK_HOME = the pyspark package folder).
#
#   infra/spark-cluster.sh start     start whatever is not running (idempotent), wait for registration
#   infra/spark-cluster.sh stop      stop workers, then the master, by PID (idempotent)
#   infra/spark-cluster.sh status    one line per daemon; exit 0 when all run, 3 when none, 1 when some
#   infra/spark-cluster.sh url       print the master URL (spark://127.0.0.1:PORT)
#
# Settings (environment):
#   SPARK_CLUSTER_WORKERS        number of workers (default 2)
#   SPARK_WORKER_CORES           cores per worker (default 1)
#   SPARK_WORKER_MEMORY          memory each worker may give its executors (default 2g)
#   SPARK_MASTER_PORT            master RPC port (default 7077)
#   SPARK_MASTER_WEBUI_PORT      master UI port (default 8180; worker i uses 8180+i)
#   SPARK_DAEMON_MEMORY          heap of the master/worker daemons themselves (default 256m)
#   SPARK_CLUSTER_STATE_DIR      PID files, worker work dirs, scratch (default var/spark-cluster)
#   SPARK_CLUSTER_LOG_DIR        daemon logs (default var/log/spark-cluster)
#   PYSPARK_PYTHON               Python for executors (default .venv/bin/python)
#   SPARK_CLUSTER_OWNER_PID      when set, a watchdog stops the cluster as soon as that process is gone
#                                (tests and benchmarks set their own PID: no daemon outlives them)
# Everything binds to 127.0.0.1. Nothing is started in the background that is not tracked by a PID file.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"

workers="${SPARK_CLUSTER_WORKERS:-2}"
worker_cores="${SPARK_WORKER_CORES:-1}"
worker_memory="${SPARK_WORKER_MEMORY:-2g}"
master_port="${SPARK_MASTER_PORT:-7077}"
ui_port="${SPARK_MASTER_WEBUI_PORT:-8180}"
state_dir="${SPARK_CLUSTER_STATE_DIR:-$root/var/spark-cluster}"
log_dir="${SPARK_CLUSTER_LOG_DIR:-$root/var/log/spark-cluster}"
python="${PYSPARK_PYTHON:-$root/.venv/bin/python}"
host=127.0.0.1
master_url="spark://$host:$master_port"
run_dir="$state_dir/run"

say() { printf '[spark-cluster] %s\n' "$*"; }
die() { printf '[spark-cluster] ERROR: %s\n' "$*" >&2; exit 1; }

spark_home() {
  [ -x "$python" ] || die "no Python at $python (run make setup, or set PYSPARK_PYTHON)"
  "$python" -c 'import os, pyspark; print(os.path.dirname(pyspark.__file__))'
}

# The daemon whose PID file is $1 runs when the PID is alive *and* is the JVM of that daemon
# (a stale PID file whose number was reused by another process does not count).
alive() {
  local pidfile="$1" cls="$2" pid
  [ -f "$pidfile" ] || return 1
  pid="$(cat "$pidfile")"
  [ -n "$pid" ] && [ -r "/proc/$pid/cmdline" ] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q "$cls"
}

port_open() { (exec 3<>"/dev/tcp/$host/$1") 2>/dev/null; }

alive_workers() {
  # Number of ALIVE workers the master knows, from its JSON endpoint.
  curl -fsS "http://$host:$ui_port/json/" 2>/dev/null \
    | "$python" -c 'import json,sys; print(sum(w.get("state")=="ALIVE" for w in json.load(sys.stdin).get("workers", [])))' \
    2>/dev/null || echo 0
}

launch() {
  # launch NAME CLASS ARGS... : start one daemon detached, its PID (the JVM: spark-class execs java) in run/NAME.pid
  local name="$1" cls="$2"; shift 2
  local pidfile="$run_dir/$name.pid" log="$log_dir/$name.out"
  if alive "$pidfile" "$cls"; then
    say "$name already running (pid $(cat "$pidfile"))"
    return 0
  fi
  rm -f "$pidfile"
  printf '\n===== %s start %s =====\n' "$name" "$(date -u +%FT%TZ)" >>"$log"
  # setsid: the daemon leaves the caller's process group, so the caller's Ctrl-C does not reach it;
  # it is stopped by PID (stop) only.
  setsid nohup "$SPARK_HOME/bin/spark-class" "$cls" "$@" >>"$log" 2>&1 </dev/null &
  echo $! >"$pidfile"
  say "$name started (pid $(cat "$pidfile")), log $log"
}

wait_for() {
  # wait_for SECONDS DESCRIPTION COMMAND... : poll until COMMAND succeeds
  local limit="$1" what="$2"; shift 2
  local i
  for ((i = 0; i < limit * 4; i++)); do
    if "$@"; then return 0; fi
    sleep 0.25
  done
  die "$what not ready after ${limit}s (logs in $log_dir)"
}

enough_workers() { [ "$(alive_workers)" -ge "$workers" ]; }

start() {
  SPARK_HOME="$(spark_home)"
  export SPARK_HOME
  mkdir -p "$run_dir" "$log_dir" "$state_dir/conf" "$state_dir/local"
  # An empty conf dir of our own: no spark-defaults.conf / spark-env.sh from elsewhere leaks in.
  export SPARK_CONF_DIR="$state_dir/conf"
  export SPARK_LOCAL_IP="$host" SPARK_PUBLIC_DNS="$host"
  export SPARK_LOG_DIR="$log_dir" SPARK_PID_DIR="$run_dir"
  export SPARK_LOCAL_DIRS="$state_dir/local"
  export SPARK_DAEMON_MEMORY="${SPARK_DAEMON_MEMORY:-256m}"
  export PYSPARK_PYTHON="$python"
  export SPARK_NO_DAEMONIZE=1
  # Finished applications' work folders are removed after a day; keep only a few finished apps in memory.
  export SPARK_WORKER_OPTS="${SPARK_WORKER_OPTS:-} -Dspark.worker.cleanup.enabled=true -Dspark.worker.cleanup.appDataTtl=86400"
  export SPARK_MASTER_OPTS="${SPARK_MASTER_OPTS:-} -Dspark.deploy.retainedApplications=20"

  launch master org.apache.spark.deploy.master.Master \
    --host "$host" --port "$master_port" --webui-port "$ui_port"
  wait_for 60 "master on $master_url" port_open "$master_port"
  wait_for 30 "master UI on $ui_port" port_open "$ui_port"
  local i
  for ((i = 1; i <= workers; i++)); do
    mkdir -p "$state_dir/work/worker-$i"
    launch "worker-$i" org.apache.spark.deploy.worker.Worker \
      --host "$host" --cores "$worker_cores" --memory "$worker_memory" \
      --work-dir "$state_dir/work/worker-$i" --webui-port "$((ui_port + i))" "$master_url"
  done
  wait_for 90 "$workers workers registered with $master_url" enough_workers
  start_watchdog
  say "up: $master_url, $(alive_workers) workers x ${worker_cores} core / ${worker_memory}; UI http://$host:$ui_port"
}

start_watchdog() {
  local owner="${SPARK_CLUSTER_OWNER_PID:-}" pidfile="$run_dir/watchdog.pid"
  [ -n "$owner" ] || return 0
  if [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then return 0; fi
  # Detached; it inherits this environment, so its `stop` finds the same PID files.
  setsid nohup bash -c 'while kill -0 "$1" 2>/dev/null; do sleep 2; done; exec bash "$2" stop' \
    watchdog "$owner" "$root/infra/spark-cluster.sh" >>"$log_dir/watchdog.out" 2>&1 </dev/null &
  echo $! >"$pidfile"
  say "watchdog (pid $!) stops the cluster when process $owner ends"
}

stop_one() {
  local name="$1" cls="$2" pidfile="$run_dir/$1.pid" pid i
  if ! alive "$pidfile" "$cls"; then
    rm -f "$pidfile"
    return 0
  fi
  pid="$(cat "$pidfile")"
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < 120; i++)); do
    alive "$pidfile" "$cls" || break
    sleep 0.25
  done
  if alive "$pidfile" "$cls"; then
    say "$name (pid $pid) ignored TERM for 30s; killing"
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$pidfile"
  say "$name stopped (pid $pid)"
}

stop() {
  local f name
  # Every worker that has a PID file, also ones beyond the current SPARK_CLUSTER_WORKERS.
  for f in "$run_dir"/worker-*.pid; do
    [ -e "$f" ] || continue
    name="$(basename "$f" .pid)"
    stop_one "$name" org.apache.spark.deploy.worker.Worker
  done
  stop_one master org.apache.spark.deploy.master.Master
  local wd="$run_dir/watchdog.pid"
  if [ -f "$wd" ]; then
    # The watchdog itself may be the caller (its `exec bash … stop` keeps its PID): never kill ourselves.
    [ "$(cat "$wd")" != "$$" ] && kill "$(cat "$wd")" 2>/dev/null || true
    rm -f "$wd"
  fi
}

status() {
  local running=0 total=0 name cls i
  for ((i = 0; i <= workers; i++)); do
    if ((i == 0)); then name=master cls=org.apache.spark.deploy.master.Master
    else name="worker-$i" cls=org.apache.spark.deploy.worker.Worker; fi
    total=$((total + 1))
    if alive "$run_dir/$name.pid" "$cls"; then
      running=$((running + 1))
      echo "$name running pid $(cat "$run_dir/$name.pid")"
    else
      echo "$name stopped"
    fi
  done
  if ((running == total)); then
    echo "master $master_url: $(alive_workers) alive workers"
    return 0
  fi
  ((running == 0)) && return 3
  return 1
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  restart) stop; start ;;
  status) status ;;
  url) echo "$master_url" ;;
  *) echo "usage: $0 start|stop|restart|status|url" >&2; exit 2 ;;
esac

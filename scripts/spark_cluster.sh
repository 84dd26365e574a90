#!/usr/bin/env bash
# A standalone Spark cluster on this machine, from the pyspark distribution in .venv: one
# master, one worker and a JVM Spark Connect server whose application runs on them, all on
# 127.0.0.1. It is the cluster path in miniature: point the project at it with the one
# setting this prints, and the silver and gold transforms run on the worker's executors.
#
#   bash scripts/spark_cluster.sh start  [STATE_DIR] [-- extra spark-submit options]
#   bash scripts/spark_cluster.sh status [STATE_DIR]     exits 0 only if all three run
#   bash scripts/spark_cluster.sh stop   [STATE_DIR]
#
# STATE_DIR (or SPARK_CLUSTER_DIR; default .spark-cluster/) holds the pids, the logs, the
# worker's work dir (executor logs), conf/log4j2.properties (Spark's default logging, less
# the logger that would write the pseudonym key into the driver's log) and cluster.env (the
# URLs and ports). Settings, by environment variable, with defaults sized for a small
# machine shared with other work:
#   SPARK_CLUSTER_MASTER_PORT, SPARK_CLUSTER_MASTER_UI_PORT, SPARK_CLUSTER_WORKER_PORT,
#   SPARK_CLUSTER_WORKER_UI_PORT, SPARK_CLUSTER_CONNECT_PORT   ports (default: free ones)
#   SPARK_CLUSTER_WORKER_CORES (2), SPARK_CLUSTER_WORKER_MEMORY (2g)   what the worker offers
#   SPARK_CLUSTER_EXECUTOR_MEMORY (1g), SPARK_CLUSTER_DRIVER_MEMORY (1g)
#   SPARK_CLUSTER_DAEMON_MEMORY (512m)   heap of the master and worker daemons
#   SPARK_CLUSTER_START_TIMEOUT (120)    seconds each of the three may take to come up
# No Delta JARs can be had here: the cluster reads and writes Parquet. With Maven access, add
# Delta Lake after `--` (see the README's "Spark on a cluster").
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"

command="${1:-}"
shift || true
state_dir="${SPARK_CLUSTER_DIR:-$repo/.spark-cluster}"
if [[ $# -gt 0 && "$1" != "--" ]]; then
  state_dir="$1"
  shift
fi
[[ "${1:-}" == "--" ]] && shift
extra_submit_options=("$@")
[[ "$command" != start ]] || mkdir -p "$state_dir"
# Absolute: the worker and its executors run in other directories.
[[ ! -d "$state_dir" ]] || state_dir="$(cd "$state_dir" && pwd)"

python="$repo/.venv/bin/python"
[[ -x "$python" ]] || python="$(command -v python3)"

# Where each component's pid, log and Java main class are; the class guards every kill
# against a pid the system has since given to another process.
components=(connect worker master)
declare -A main_class=(
  [master]=org.apache.spark.deploy.master.Master
  [worker]=org.apache.spark.deploy.worker.Worker
  [connect]=org.apache.spark.sql.connect.service.SparkConnectServer
)
pid_file() { echo "$state_dir/$1.pid"; }
log_file() { echo "$state_dir/logs/$1.log"; }

die() {
  echo "spark_cluster: $*" >&2
  exit 1
}

# The pid of a component if it is running (and is still that component), else nothing.
running_pid() {
  local file pid
  file="$(pid_file "$1")"
  [[ -f "$file" ]] || return 0
  pid="$(cat "$file")"
  if [[ -r "/proc/$pid/cmdline" ]] && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q "${main_class[$1]}"; then
    echo "$pid"
  fi
}

listening() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# Succeeds once the master's web UI (its /json/ endpoint) says it is ALIVE and, given a worker
# port, lists that worker ALIVE: registered, its cores on offer.
master_reports() {
  "$python" - "$@" <<'EOF' 2>/dev/null
import json, sys, urllib.request
state = json.load(urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/json/", timeout=2))
alive = [w for w in state["workers"] if w["state"] == "ALIVE" and str(w["port"]) in sys.argv[2:]]
sys.exit(0 if state["status"] == "ALIVE" and (alive or len(sys.argv) == 2) else 1)
EOF
}

# Waits until `check` succeeds; fails with the log's tail if the component exits or the time
# runs out, so a failed start says why.
wait_for() {
  local name="$1" what="$2" check="$3" pid="$4"
  local deadline=$((SECONDS + ${SPARK_CLUSTER_START_TIMEOUT:-120}))
  until eval "$check"; do
    if ! kill -0 "$pid" 2>/dev/null; then
      tail -n 30 "$(log_file "$name")" >&2 || true
      die "the $name exited before it could $what; its log: $(log_file "$name")"
    fi
    if ((SECONDS >= deadline)); then
      tail -n 30 "$(log_file "$name")" >&2 || true
      die "the $name did not $what within ${SPARK_CLUSTER_START_TIMEOUT:-120} s; its log: $(log_file "$name")"
    fi
    sleep 0.5
  done
}

# Starts a component in a session of its own (a Ctrl-C meant for the caller must not reach
# it), with stdio on its log so that a caller waiting on this script's output is not held.
launch() {
  local name="$1"
  shift
  : >"$(log_file "$name")"
  # The pid is written by the shell that then execs Spark's launcher, which execs java: the
  # pid file names the JVM whatever setsid does.
  setsid bash -c 'echo $$ >"$0"; exec "$@"' "$(pid_file "$name")" "$@" \
    </dev/null >>"$(log_file "$name")" 2>&1 &
  local deadline=$((SECONDS + 10))
  until [[ -s "$(pid_file "$name")" ]]; do
    ((SECONDS < deadline)) || die "the $name did not start; its log: $(log_file "$name")"
    sleep 0.1
  done
  cat "$(pid_file "$name")"
}

# The project's Spark logging (healthcare_dataops/lakehouse/spark_log4j2.properties): Spark's
# defaults less the logger that would write the pseudonym key into the driver's log.
write_log_config() {
  mkdir -p "$(dirname "$1")"
  cp "$repo/healthcare_dataops/lakehouse/spark_log4j2.properties" "$1"
}

free_ports() {
  "$python" - "$1" <<'EOF'
import socket, sys
# All bound at once, so the ports differ from each other.
sockets = [socket.socket() for _ in range(int(sys.argv[1]))]
for s in sockets:
    s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in sockets))
EOF
}

start() {
  for name in "${components[@]}"; do
    [[ -z "$(running_pid "$name")" ]] || die "already running in $state_dir ($name pid $(running_pid "$name")); stop it first: $0 stop $state_dir"
  done
  command -v java >/dev/null || die "java not found on PATH: install a Java 17 runtime"
  spark_home="$("$python" -c 'import os, pyspark; print(os.path.dirname(pyspark.__file__))')" \
    || die "pyspark is not importable by $python: run scripts/setup.sh first"
  [[ -x "$spark_home/bin/spark-class" ]] || die "$spark_home has no bin/spark-class"

  read -r -a free <<<"$(free_ports 5)"
  local master_port="${SPARK_CLUSTER_MASTER_PORT:-${free[0]}}"
  local master_ui_port="${SPARK_CLUSTER_MASTER_UI_PORT:-${free[1]}}"
  local worker_port="${SPARK_CLUSTER_WORKER_PORT:-${free[2]}}"
  local worker_ui_port="${SPARK_CLUSTER_WORKER_UI_PORT:-${free[3]}}"
  local connect_port="${SPARK_CLUSTER_CONNECT_PORT:-${free[4]}}"
  # A port already taken would not fail the start: Spark moves to the next free one, and the
  # wait would then find whatever else listens there. So a configured port must be free.
  local port
  for port in "$master_port" "$master_ui_port" "$worker_port" "$worker_ui_port" "$connect_port"; do
    ! listening "$port" || die "port $port on 127.0.0.1 is in use: choose another (SPARK_CLUSTER_*_PORT)"
  done
  local master_url="spark://127.0.0.1:$master_port"
  local work_dir="$state_dir/work"
  mkdir -p "$state_dir/logs" "$work_dir" "$state_dir/local"
  rm -f "$state_dir"/*.pid "$state_dir/cluster.env"
  # A start that fails half-way stops what it started: no half cluster left holding ports.
  trap 'echo "spark_cluster: start failed; stopping what it started" >&2; stop >&2' EXIT

  export SPARK_HOME="$spark_home"
  # Everything binds to loopback only: nothing here is meant to be reached from elsewhere.
  export SPARK_LOCAL_IP=127.0.0.1
  export SPARK_LOCAL_DIRS="$state_dir/local"
  export SPARK_DAEMON_MEMORY="${SPARK_CLUSTER_DAEMON_MEMORY:-512m}"
  export SPARK_CONF_DIR="$state_dir/conf"
  write_log_config "$SPARK_CONF_DIR/log4j2.properties"
  # Spark 4 masters open a REST submission server on 6066 by default: not wanted, and a
  # second cluster on the machine would collide on that fixed port.
  export SPARK_MASTER_OPTS="-Dspark.master.rest.enabled=false"

  local pid
  pid="$(launch master "$spark_home/bin/spark-class" "${main_class[master]}" \
    --host 127.0.0.1 --port "$master_port" --webui-port "$master_ui_port")"
  wait_for master "listen on $master_url" \
    "listening $master_port && master_reports $master_ui_port" "$pid"

  # The worker and the Connect server start side by side (JVM start-up is most of the wait);
  # the master grants the application its executors as soon as the worker registers.
  local worker_pid connect_pid
  worker_pid="$(launch worker "$spark_home/bin/spark-class" "${main_class[worker]}" \
    --host 127.0.0.1 --port "$worker_port" --webui-port "$worker_ui_port" \
    --cores "${SPARK_CLUSTER_WORKER_CORES:-2}" --memory "${SPARK_CLUSTER_WORKER_MEMORY:-2g}" \
    --work-dir "$work_dir" "$master_url")"
  # Timestamps written as Parquet's UTC-adjusted microseconds, as Sail and delta-rs write them,
  # not JVM Spark's default INT96 (deprecated; pyarrow reads it back as naive nanoseconds).
  connect_pid="$(launch connect "$spark_home/bin/spark-submit" \
    --class "${main_class[connect]}" --master "$master_url" --name healthcare-dataops-connect \
    --driver-memory "${SPARK_CLUSTER_DRIVER_MEMORY:-1g}" \
    --executor-memory "${SPARK_CLUSTER_EXECUTOR_MEMORY:-1g}" \
    --conf spark.connect.grpc.binding.address=127.0.0.1 \
    --conf "spark.connect.grpc.binding.port=$connect_port" \
    --conf spark.ui.enabled=false \
    --conf spark.ui.showConsoleProgress=false \
    --conf spark.sql.session.timeZone=UTC \
    --conf spark.sql.parquet.outputTimestampType=TIMESTAMP_MICROS \
    ${extra_submit_options[@]+"${extra_submit_options[@]}"} \
    spark-internal)"
  wait_for worker "register with the master" "master_reports $master_ui_port $worker_port" "$worker_pid"
  wait_for connect "listen on 127.0.0.1:$connect_port" "listening $connect_port" "$connect_pid"

  cat >"$state_dir/cluster.env" <<EOF
MASTER_URL=$master_url
MASTER_WEB_UI=http://127.0.0.1:$master_ui_port
WORKER_WEB_UI=http://127.0.0.1:$worker_ui_port
WORKER_DIR=$work_dir
CONNECT_URL=sc://127.0.0.1:$connect_port
HEALTHCARE_DATAOPS_SPARK_REMOTE=sc://127.0.0.1:$connect_port
EOF
  echo "Spark standalone master $master_url (web UI http://127.0.0.1:$master_ui_port), one worker, and Spark Connect on 127.0.0.1:$connect_port"
  echo "state, logs and executor logs: $state_dir"
  echo "Point the project at it with:"
  echo "HEALTHCARE_DATAOPS_SPARK_REMOTE=sc://127.0.0.1:$connect_port"
  trap - EXIT
}

stop() {
  local name pid
  # The Connect server first, so its application ends and the worker reaps its executors.
  for name in "${components[@]}"; do
    pid="$(running_pid "$name")"
    if [[ -n "$pid" ]]; then
      kill -TERM "$pid"
      local deadline=$((SECONDS + 30))
      while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.2; done
      if kill -0 "$pid" 2>/dev/null; then
        echo "the $name (pid $pid) ignored SIGTERM for 30 s: killing it" >&2
        kill -KILL "$pid" 2>/dev/null || true
      fi
      echo "stopped the $name (pid $pid)"
    fi
    rm -f "$(pid_file "$name")"
  done
  # Executors run in the worker's work dir; any left (a worker killed hard) are ours to end.
  local proc cwd
  for proc in /proc/[0-9]*; do
    cwd="$(readlink "$proc/cwd" 2>/dev/null || true)"
    if [[ "$cwd" == "$state_dir/work/"* ]]; then
      kill -KILL "${proc#/proc/}" 2>/dev/null && echo "killed a leftover executor (pid ${proc#/proc/})"
    fi
  done
  rm -f "$state_dir/cluster.env"
}

status() {
  local name pid all=0
  for name in master worker connect; do
    pid="$(running_pid "$name")"
    if [[ -n "$pid" ]]; then
      echo "$name: running (pid $pid, log $(log_file "$name"))"
    else
      echo "$name: stopped"
      all=1
    fi
  done
  if ((all == 0)) && [[ -f "$state_dir/cluster.env" ]]; then
    cat "$state_dir/cluster.env"
  fi
  return "$all"
}

case "$command" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  *) die "usage: $0 start|stop|status [STATE_DIR] [-- extra spark-submit options for start]" ;;
esac

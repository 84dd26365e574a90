#!/usr/bin/env bash
# How close risk_model comes to the best possible AUROC: generate feeds with a known risk,
# run the whole pipeline through the CLI into a lakehouse of its own, and list the model's
# versions with their holdout AUROC beside the AUROC of the generator's true probabilities.
#   PATIENTS=2500 DAYS=120 bash scripts/model_benchmark.sh
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
source scripts/env.sh

patients="${PATIENTS:-2500}"
days="${DAYS:-120}"
start="${START_DATE:-2026-01-01}"
end=$(python -c "import datetime as d; print(d.date.fromisoformat('$start') + d.timedelta(days=$days - 1))")
work="${BENCHMARK_DIR:-$(mktemp -d -t healthcare-dataops-benchmark-XXXXXX)}"
export HEALTHCARE_DATAOPS_DATA_DIR="$work" DAGSTER_HOME="$work/dagster_home"
mkdir -p "$DAGSTER_HOME" && cp dagster.yaml "$DAGSTER_HOME/"

echo "==> $patients patients x $days days into $work"
# Heart rate every 15 minutes: enough readings per hour for a resting rate, a quarter of the
# default volume; a quarter of the panel wears a device.
healthcare-dataops generate --patients "$patients" --days "$days" --start-date "$start" \
  --heart-rate-every-minutes 15 --device-share 0.25 --quiet
started=$(date +%s)
status=0
dagster asset materialize -m healthcare_dataops.definitions --select '*' \
  --partition-range "$start...$end" > "$work/materialize.log" 2>&1 || status=$?
echo "==> pipeline exit $status in $(( $(date +%s) - started )) s (log: $work/materialize.log)"
healthcare-dataops models
exit "$status"

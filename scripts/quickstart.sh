#!/usr/bin/env bash
# The main job on the embedded defaults: set up, generate a small landing zone, and
# materialize the whole asset graph into the local lakehouse. Every run shows up in the UI.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
source scripts/env.sh

patients="${PATIENTS:-200}"
days="${DAYS:-14}"
start="${START_DATE:-2026-01-01}"
end=$(python -c "import datetime as d; print(d.date.fromisoformat('$start') + d.timedelta(days=$days - 1))")

echo "==> generating $patients patients x $days days of deliveries into the landing zone"
healthcare-dataops generate --patients "$patients" --days "$days" --start-date "$start"

echo "==> materializing every asset for delivery days $start...$end"
dagster asset materialize -m healthcare_dataops.definitions --select '*' \
  --partition-range "$start...$end"

healthcare-dataops summary
echo
echo "Runs and asset metadata: bash scripts/ui.sh, then open http://127.0.0.1:3000"

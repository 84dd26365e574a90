#!/usr/bin/env bash
# The main job on the embedded defaults: set up, generate a landing zone, and materialize the
# whole asset graph into the local lakehouse, model included. Every run shows up in the UI.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
source scripts/env.sh
started=$SECONDS

# Three months: a 30-day readmission label needs a month of follow-up, and the model needs a
# few hundred labelled admissions to learn from and to be judged on.
patients="${PATIENTS:-600}"
days="${DAYS:-90}"
start="${START_DATE:-2026-01-01}"
end=$(python -c "import datetime as d; print(d.date.fromisoformat('$start') + d.timedelta(days=$days - 1))")

echo "==> generating $patients patients x $days days of deliveries into the landing zone"
# Wearables are nineteen in twenty of the delivered records: a quarter of the patients wear a
# device (rather than two in five) and give a heart rate every 30 minutes (rather than 5),
# enough for daily resting rates at about a third of the wearable rows.
healthcare-dataops generate --patients "$patients" --days "$days" --start-date "$start" \
  --device-share 0.25 --heart-rate-every-minutes 30

echo "==> materializing every asset for delivery days $start...$end: one run, each step a chunk of days at a time"
# Three months of feeds label about 360 index admissions, and the split leaves 30 days between
# training and holdout (no training label observed after the holdout began): the first version
# trains on about a hundred and is judged on about ninety, too few readmissions to promote on
# (min_holdout_positives). It is deployed by decision, as a team deploys its first model, and
# its model card says so; the gate judges every later version (RISK_MODEL_CONFIG replaces this).
first_model='{"ops": {"risk_model": {"config": {"force_promotion": true}}}}'
dagster asset materialize -m healthcare_dataops.definitions --select '*' \
  --partition-range "$start...$end" --config-json "${RISK_MODEL_CONFIG:-$first_model}"

echo "==> built in $((SECONDS - started)) s; the lakehouse's tables:"
healthcare-dataops summary
echo
healthcare-dataops models
echo
lakehouse=$(python -c "from healthcare_dataops import settings; print(settings.lakehouse_root())")
echo "Tables: $lakehouse/{bronze,silver,gold}/; the drift report: $lakehouse/reports/feature_drift/$end.html"
echo "Runs and asset metadata: bash scripts/ui.sh, then open http://127.0.0.1:3000"
echo "Model runs, plots and versions: bash scripts/mlflow_ui.sh, then open http://127.0.0.1:5000"

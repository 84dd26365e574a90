#!/usr/bin/env bash
# The MLflow UI for the default tracking store (or $HEALTHCARE_DATAOPS_MLFLOW_TRACKING_URI),
# on 127.0.0.1 only: runs, metrics, plots and the registered model's versions and aliases.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
source scripts/env.sh
uri="${HEALTHCARE_DATAOPS_MLFLOW_TRACKING_URI:-$(python -c 'from healthcare_dataops import settings; print(settings.default_mlflow_tracking_uri())')}"
port="${MLFLOW_PORT:-5000}"
echo "MLflow UI for $uri: http://127.0.0.1:$port"
exec mlflow ui --backend-store-uri "$uri" --registry-store-uri "$uri" --host 127.0.0.1 --port "$port"

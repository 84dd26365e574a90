#!/usr/bin/env bash
# The MLOps loop end to end: baseline champion, a control without drift, drifted feeds that
# the drift sensor turns into one retraining (see healthcare_dataops/scenarios/drift_loop.py).
#   bash scripts/drift_scenario.sh [--patients N --baseline-days N --control-days N --drift-days N]
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
source scripts/env.sh
exec healthcare-dataops drift-scenario "$@"

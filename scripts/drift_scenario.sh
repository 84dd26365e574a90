#!/usr/bin/env bash
# Drift that fires for the right reasons, both ways: from one baseline champion per seed, a
# steady population, a recalibrated analyzer, an older population and shifts in what the model
# hardly uses, each through the daily pipeline, the drift report, the sensor and the retraining
# it requests (see healthcare_dataops/scenarios/drift_scenarios.py); prints the false-alarm and
# detection rates.
#   bash scripts/drift_scenario.sh [--patients N --baseline-days N --scenario-days N --seeds 7,8,9 ...]
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
source scripts/env.sh
exec healthcare-dataops drift-scenario "$@"

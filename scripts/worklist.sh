#!/usr/bin/env bash
# The clinician worklist on the local lakehouse, instance and MLflow store, bound to this
# machine only (put the login proxy in front of it to let people in: README, "The worklist").
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
source scripts/env.sh
exec healthcare-dataops worklist "$@"

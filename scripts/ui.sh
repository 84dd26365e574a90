#!/usr/bin/env bash
# The Dagster UI on the same local instance as the CLI, bound to this machine only.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
source scripts/env.sh
# Started from DAGSTER_HOME so that the committed dagster.yaml at the repo root (the template
# setup.sh copies there) is not mistaken for a second instance configuration.
cd "$DAGSTER_HOME"
exec dagster dev -w "$OLDPWD/workspace.yaml" -h "${DAGSTER_UI_HOST:-127.0.0.1}" -p "${DAGSTER_UI_PORT:-3000}"

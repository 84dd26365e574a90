#!/usr/bin/env bash
# The Dagster UI on the same local instance as the CLI, bound to this machine only.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
source scripts/env.sh
exec dagster dev -h "${DAGSTER_UI_HOST:-127.0.0.1}" -p "${DAGSTER_UI_PORT:-3000}"

#!/usr/bin/env bash
# The test suite, slow end-to-end tests included, after the same set-up as the main job.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/browser.sh
source scripts/env.sh
exec python -m pytest "$@"

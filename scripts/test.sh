#!/usr/bin/env bash
# The test suite, slow end-to-end tests included, after the same set-up as the main job.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --tests
bash scripts/browser.sh
source scripts/env.sh
# The 25 slowest tests are printed: the suite has a budget of 20 minutes on 2 cores.
exec python -m pytest --durations=25 "$@"

#!/usr/bin/env bash
# The test suite, slow end-to-end tests included, after the same set-up as the main job.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --tests
bash scripts/browser.sh
source scripts/env.sh
# Two workers (TEST_WORKERS), each taking a whole file (or the files sharing a built lakehouse)
# at a time, so that shared fixtures are built once, in the order collected (the conftest puts
# the longest files first; xdist would otherwise start with the files of the most tests).
# The 25 slowest tests are printed: the suite's budget is 20 minutes on 2 cores.
exec python -m pytest --numprocesses "${TEST_WORKERS:-2}" --dist loadgroup --no-loadscope-reorder --durations=25 "$@"

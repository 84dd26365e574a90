#!/usr/bin/env bash
# The test suite, slow end-to-end tests included, after the same set-up as the main job.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --tests
# The linter first (configured in pyproject.toml's [tool.ruff]): a second, not the suite's quarter of an hour.
echo "==> ruff check ."
if ! .venv/bin/ruff check .; then
  echo "error: ruff check failed (findings above); 'ruff check --fix .' fixes the safe ones, the rest need a hand." >&2
  exit 1
fi
bash scripts/browser.sh
bash scripts/prometheus.sh
source scripts/env.sh
# One process by default: on 2 cores, two pytest-xdist workers took 39:55 against 43:24 in one
# (before the background commands of healthcare_dataops_tests/background.py, which now keep the
# second core busy beside the in-process tests) and made the browser tests' timeouts flaky.
# Where there are cores to spare, TEST_WORKERS=N runs N workers, each taking a whole file (or
# the files sharing a built lakehouse) at a time so that shared fixtures are built once, in the
# order collected (the conftest puts the longest files first; xdist would otherwise start with
# the files of the most tests). The 25 slowest tests are printed, and each background command's time.
workers="${TEST_WORKERS:-1}"
parallel=()
if [ "$workers" -gt 1 ]; then
  parallel=(--numprocesses "$workers" --dist loadgroup --no-loadscope-reorder)
fi
exec python -m pytest "${parallel[@]}" --durations=25 "$@"

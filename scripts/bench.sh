#!/usr/bin/env bash
# The benchmark: generated feeds at named scales through the whole graph (the Dagster CLI,
# embedded defaults), the two heaviest steps beside DuckDB and JVM Spark, one more day, and
# the drift sensor; a markdown table to benchmarks/results/. Each scale works in a folder of
# its own (a new temporary one, deleted afterwards), never in data/.
#   SCALES=small,medium bash scripts/bench.sh      # tiny, small, medium, large
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --tests
source scripts/env.sh
healthcare-dataops benchmark --scales "${SCALES:-small,medium}" "$@"

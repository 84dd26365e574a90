#!/usr/bin/env bash
# The Prometheus exporter on the local instance, lakehouse and MLflow store: 127.0.0.1:9464/metrics.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
source scripts/env.sh
exec healthcare-dataops metrics "$@"

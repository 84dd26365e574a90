# Sourced by the scripts: the local instance and quiet, offline-friendly library defaults.
export DAGSTER_HOME="${DAGSTER_HOME:-$PWD/.dagster_home}"
# "true", not 1: MLflow only honours DO_NOT_TRACK=true; Evidently and Dagster take any value.
export DO_NOT_TRACK=true
export MLFLOW_DISABLE_TELEMETRY=true
export PATH="$PWD/.venv/bin:$PATH"

# Sourced by the scripts: the local instance and quiet, offline-friendly library defaults.
export DAGSTER_HOME="${DAGSTER_HOME:-$PWD/.dagster_home}"
export DO_NOT_TRACK=1
export PATH="$PWD/.venv/bin:$PATH"

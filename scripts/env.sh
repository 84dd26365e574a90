# Sourced by the scripts: the local instance and quiet, offline-friendly library defaults.
export DAGSTER_HOME="${DAGSTER_HOME:-$PWD/.dagster_home}"
# "true", not 1: MLflow only honours DO_NOT_TRACK=true; Evidently and Dagster take any value.
export DO_NOT_TRACK=true
export MLFLOW_DISABLE_TELEMETRY=true
# A backfill is one run over many days: Dagster records its plan as one event per asset, not
# one per asset and day (960 events, 27 s on SQLite, for a month of the whole graph). A failed
# run's days then show as missing rather than failed; the run itself shows the failure.
export DAGSTER_EMIT_PARTITION_SUBSET_IN_PLANNED_EVENTS=true
export PATH="$PWD/.venv/bin:$PATH"
# Python caches each module it compiles (__pycache__ in .venv) and the install leaves that to
# the first import (setup.sh: --no-compile). An environment that sets PYTHONDONTWRITEBYTECODE
# (some sandboxes and CI images do) would make every process compile Dagster, Spark, GX and
# MLflow from source again: seconds more for each CLI call, run worker, daemon and test.
unset PYTHONDONTWRITEBYTECODE

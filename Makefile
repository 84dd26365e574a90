# Shortcuts for the scripts; the scripts need nothing but bash, Python 3.11 and Java 17.
.PHONY: run test ui worklist metrics mlflow-ui models bench model-benchmark drift-scenario setup generate check-config lock clean

run:
	bash scripts/quickstart.sh

test:
	bash scripts/test.sh

ui:
	bash scripts/ui.sh

# The clinician worklist on http://127.0.0.1:8050 (behind the login proxy in production).
worklist:
	bash scripts/worklist.sh

# The Prometheus metrics on http://127.0.0.1:9464/metrics.
metrics:
	bash scripts/metrics.sh

# The MLflow UI for the default store on http://127.0.0.1:5000.
mlflow-ui:
	bash scripts/mlflow_ui.sh

models: setup
	.venv/bin/healthcare-dataops models

# Throughput, memory and incremental cost at SCALES (default small,medium; under an hour),
# beside DuckDB and JVM Spark: a markdown table to benchmarks/results/.
bench:
	bash scripts/bench.sh

# Model AUROC against the best possible one on large generated feeds (tens of minutes).
model-benchmark:
	bash scripts/model_benchmark.sh

# The four drift scenarios (steady, recalibrated analyzer, older population, unimportant
# features) through the sensor and the retrain job, over three seeds, with the false-alarm and
# detection rates (an hour or more on 2 cores).
drift-scenario:
	bash scripts/drift_scenario.sh

setup:
	bash scripts/setup.sh

generate: setup
	.venv/bin/healthcare-dataops generate --landing data/landing --side data/generator

# The deployment's settings as the code location checks them at start-up.
check-config: setup
	.venv/bin/healthcare-dataops check-config

# constraints.txt anew from pyproject.toml, resolved in a throwaway venv (a few minutes).
lock:
	bash scripts/lock.sh

# Removes generated data and the local instance; keeps data/reference and the .venv.
clean:
	rm -rf data/landing data/lakehouse data/generator data/mlflow .dagster_home

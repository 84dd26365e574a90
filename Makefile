# Shortcuts for the scripts; the scripts need nothing but bash, Python 3.11 and Java 17.
.PHONY: run test ui setup generate clean

run:
	bash scripts/quickstart.sh

test:
	bash scripts/test.sh

ui:
	bash scripts/ui.sh

setup:
	bash scripts/setup.sh

generate: setup
	.venv/bin/healthcare-dataops generate --landing data/landing --side data/generator

# Removes generated data and the local instance; keeps data/reference and the .venv.
clean:
	rm -rf data/landing data/lakehouse data/generator .dagster_home

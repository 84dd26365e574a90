"""Run tags that the production instance's queue limits key on (deploy/dagster.yaml)."""

# Runs with the same value never overlap: two daily pipelines would MERGE into the same silver
# tables at once, and two retrainings would race for the champion alias.
RUN_EXCLUSIVELY = "healthcare_dataops/run_exclusively"


def run_exclusively(name: str) -> dict[str, str]:
    return {RUN_EXCLUSIVELY: name}

"""The README's main command, run as a user runs it: generate, materialize via the CLI, summary.

The script runs in the background from the start of the test run (background.py), and the test
reads what it printed and left."""

import os
import re
from pathlib import Path

import dagster as dg
import pytest

from healthcare_dataops_tests import background
from healthcare_dataops_tests.conftest import REPO_ROOT


def quickstart(workdir: Path) -> background.Command:
    """``bash scripts/quickstart.sh`` with its data and Dagster instance in ``workdir``."""
    dagster_home = workdir / "dagster_home"
    env = {
        **os.environ,
        "HEALTHCARE_DATAOPS_DATA_DIR": str(workdir / "data"),
        "DAGSTER_HOME": str(dagster_home),
    }
    # The quickstart's own sizes: the model must clear its floor on them, or scoring refuses.
    for name in ("PATIENTS", "DAYS", "START_DATE", "HEALTHCARE_DATAOPS_LANDING_ROOT",
                 "HEALTHCARE_DATAOPS_LAKEHOUSE_ROOT", "HEALTHCARE_DATAOPS_MLFLOW_TRACKING_URI",
                 "HEALTHCARE_DATAOPS_MLFLOW_ARTIFACT_ROOT"):
        env.pop(name, None)
    dagster_home.mkdir()
    (dagster_home / "dagster.yaml").write_text((REPO_ROOT / "dagster.yaml").read_text())
    return background.Command(["bash", "scripts/quickstart.sh"], REPO_ROOT, env, timeout=2400)


BACKGROUND_COMMANDS = (quickstart,)


@pytest.mark.slow
def test_quickstart_materializes_every_asset_into_the_shared_instance(request: pytest.FixtureRequest):
    done = background.finished(request, quickstart)
    workdir, dagster_home = done.workdir, done.workdir / "dagster_home"

    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    # It talks: generation every tenth day, each bronze and silver chunk as it commits, the time.
    told = done.stdout + done.stderr
    assert "day 90 of 90 (2026-03-31): " in done.stdout and "day 10 of 90 (2026-01-10): " in done.stdout
    for table in ("wearable_readings_raw", "wearable_readings"):
        assert re.search(rf"{table}: delivery days \S+ committed \(chunk (\d+) of \1, 90 of 90 days\)", told), table
    assert re.search(r"==> built in \d+ s", done.stdout)
    assert "bronze/" in done.stdout and "lab_results_raw" in done.stdout
    assert "patient_risk_scores" in done.stdout
    [first_version] = [line for line in done.stdout.splitlines() if line.startswith("1 ")]
    assert "champion" in first_version, done.stdout[-2000:]
    assert (workdir / "data" / "lakehouse" / "bronze" / "ehr_patients" / "_delta_log").is_dir()
    assert (workdir / "data" / "mlflow" / "mlflow.db").is_file()
    with dg.DagsterInstance.from_config(str(dagster_home)) as instance:
        runs = instance.get_run_records()
        assert [r.dagster_run.status for r in runs] == [dg.DagsterRunStatus.SUCCESS]
        patients = instance.fetch_materializations(dg.AssetKey("ehr_patients"), limit=200).records
        assert len({r.partition_key for r in patients}) == 90
        [scores] = instance.fetch_materializations(
            dg.AssetRecordsFilter(dg.AssetKey("patient_risk_scores"), asset_partitions=["2026-03-31"]), limit=1
        ).records
        assert scores.asset_materialization.metadata["model_version"].value == "1"

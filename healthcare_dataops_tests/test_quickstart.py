"""The README's main command, run as a user runs it: generate, materialize via the CLI, summary."""

import os
import subprocess
from pathlib import Path

import dagster as dg
import pytest

from healthcare_dataops_tests.conftest import REPO_ROOT


@pytest.mark.slow
def test_quickstart_materializes_every_asset_into_the_shared_instance(tmp_path: Path):
    dagster_home = tmp_path / "dagster_home"
    env = {
        **os.environ,
        "HEALTHCARE_DATAOPS_DATA_DIR": str(tmp_path / "data"),
        "DAGSTER_HOME": str(dagster_home),
        "PATIENTS": "50",
        "DAYS": "3",
    }
    for name in ("HEALTHCARE_DATAOPS_LANDING_ROOT", "HEALTHCARE_DATAOPS_LAKEHOUSE_ROOT"):
        env.pop(name, None)
    dagster_home.mkdir()
    (dagster_home / "dagster.yaml").write_text((REPO_ROOT / "dagster.yaml").read_text())

    done = subprocess.run(
        ["bash", "scripts/quickstart.sh"], cwd=REPO_ROOT, env=env,
        capture_output=True, text=True, timeout=900,
    )

    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "bronze/" in done.stdout and "lab_results_raw" in done.stdout
    assert (tmp_path / "data" / "lakehouse" / "bronze" / "ehr_patients" / "_delta_log").is_dir()
    with dg.DagsterInstance.from_config(str(dagster_home)) as instance:
        runs = instance.get_run_records()
        assert [r.dagster_run.status for r in runs] == [dg.DagsterRunStatus.SUCCESS]
        patients = instance.fetch_materializations(dg.AssetKey("ehr_patients"), limit=10).records
        assert sorted(r.partition_key for r in patients) == ["2026-01-01", "2026-01-02", "2026-01-03"]

"""The lock on the other Python it supports: the suite runs on one interpreter (3.11 in CI and
the image), and where the machine also has the other (3.12), the main job's install goes onto
it from constraints.txt (other_python.py: a background command started when the suite begins)
and every feed's bronze and a silver table with its checks materialize there through the
Dagster CLI, in the sources' copy, as an installed package runs in the image's working
directory.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from deltalake import DeltaTable

from healthcare_dataops_tests import background, other_python
from healthcare_dataops_tests.other_python import SUPPORTED, install_on_the_other_python
from healthcare_dataops_tests.project_env import project_environment

pytestmark = pytest.mark.slow

DAY = "2026-01-01"
# Beside the other background commands from the start of the run (background.py).
BACKGROUND_COMMANDS = (install_on_the_other_python,)


@pytest.fixture
def installed(request) -> Path:
    """The install's folder, once it is done (a skip where the machine has no other Python)."""
    done = background.finished(request, install_on_the_other_python)
    assert done.returncode == 0, f"installing onto the other Python failed:\n{done.stdout[-2000:]}{done.stderr[-4000:]}"
    return done.workdir


def _run(command: list[str], **options) -> subprocess.CompletedProcess:
    done = subprocess.run(command, capture_output=True, text=True, check=False, **options)
    assert done.returncode == 0, f"{' '.join(map(str, command))}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done


def test_the_lock_installs_and_the_data_layers_run_on_the_other_supported_python(installed: Path, tmp_path: Path):
    bin_dir, source = other_python.bin_dir(installed), other_python.source(installed)
    data = tmp_path / "data"
    env = project_environment(tmp_path / "dagster_home", tmp_path / "landing", data)
    env["PATH"] = f"{bin_dir}{os.pathsep}{env['PATH']}"
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    _run([str(bin_dir / "healthcare-dataops"), "generate", "--landing", str(tmp_path / "landing"),
          "--side", str(tmp_path / "side"), "--patients", "50", "--days", "1", "--start-date", DAY, "--quiet"],
         env=env, cwd=source, timeout=600)
    # Every feed's bronze (the wearable lines parsed on the engine's Python workers, which run
    # this interpreter too) and one silver table with its Great Expectations checks: each
    # library of the stack once, at a fraction of the whole graph's cost.
    done = _run([str(bin_dir / "dagster"), "asset", "materialize", "-m", "healthcare_dataops.definitions",
                 "--select", "group:bronze or key:patients or key:patients_quarantine", "--partition", DAY],
                env=env, cwd=source, timeout=900)
    told = done.stdout + done.stderr
    assert "RUN_SUCCESS" in told and "Asset check 'critical_expectations' on 'patients' passed" in told

    version = _run([str(bin_dir / "python"), "-c", "import sys; print(sys.version)"]).stdout
    [other] = [f"{major}.{minor}." for major, minor in SUPPORTED if (major, minor) != sys.version_info[:2]]
    assert version.startswith(other), version
    for layer, table in (("bronze", "wearable_readings_raw"), ("bronze", "lab_results_raw"), ("silver", "patients")):
        assert DeltaTable(str(data / "lakehouse" / layer / table)).to_pyarrow_table().num_rows > 0, table

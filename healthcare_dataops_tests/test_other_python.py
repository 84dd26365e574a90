"""The lock on the other Python it supports: the suite runs on one interpreter (3.11 in CI and
the image), and where the machine also has the other (3.12), the main job's install goes onto
it from constraints.txt and the data layers materialize there through the Dagster CLI.

The install is the quickstart's (the package and its runtime dependencies, no extras), from a
copy of the package's sources so that the build leaves nothing in the checkout; the CLI runs in
that copy, as an installed package runs in the image's working directory.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from deltalake import DeltaTable

from healthcare_dataops_tests.conftest import REPO_ROOT
from healthcare_dataops_tests.project_env import project_environment

pytestmark = pytest.mark.slow

# pyproject.toml's requires-python, as (major, minor) pairs.
SUPPORTED = ((3, 11), (3, 12))
DAY = "2026-01-01"


def _other_python() -> str | None:
    """The first supported interpreter that is not the one running the suite: on PATH, or
    installed by pyenv but not selected (its shim on PATH then refuses to run)."""
    for major, minor in SUPPORTED:
        if (major, minor) == sys.version_info[:2]:
            continue
        name = f"python{major}.{minor}"
        is_it = f"import sys; sys.exit(sys.version_info[:2] != ({major}, {minor}))"
        for found in (shutil.which(name), *_pyenv_interpreters(name)):
            if found and subprocess.run([found, "-c", is_it], capture_output=True, check=False).returncode == 0:
                return found
    return None


def _pyenv_interpreters(name: str) -> list[str]:
    if shutil.which("pyenv") is None:
        return []
    root = subprocess.run(["pyenv", "root"], capture_output=True, text=True, check=False).stdout.strip()
    return sorted(str(p) for p in Path(root).glob(f"versions/*/bin/{name}")) if root else []


def _run(command: list[str], **options) -> subprocess.CompletedProcess:
    done = subprocess.run(command, capture_output=True, text=True, check=False, **options)
    assert done.returncode == 0, f"{' '.join(map(str, command))}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done


def test_the_lock_installs_and_the_data_layers_run_on_the_other_supported_python(tmp_path: Path):
    python = _other_python()
    if python is None:
        pytest.skip(f"no other supported Python ({', '.join(f'{a}.{b}' for a, b in SUPPORTED)}) on PATH")
    source = tmp_path / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copyfile(REPO_ROOT / name, source / name)
    shutil.copytree(REPO_ROOT / "healthcare_dataops", source / "healthcare_dataops",
                    ignore=shutil.ignore_patterns("__pycache__"))
    # The code maps silver conforms to, read from the working directory of an installed package.
    shutil.copytree(REPO_ROOT / "data" / "reference", source / "data" / "reference")
    venv = tmp_path / "venv"
    _run([python, "-m", "venv", str(venv)])
    bin_dir = venv / "bin"
    _run([str(bin_dir / "python"), "-m", "pip", "install", "--quiet", "--no-compile",
          "-c", str(REPO_ROOT / "constraints.txt"), str(source)], timeout=1200)
    _run([str(bin_dir / "python"), "-m", "pip", "check"])

    data = tmp_path / "data"
    env = project_environment(tmp_path / "dagster_home", tmp_path / "landing", data)
    env["PATH"] = f"{bin_dir}{os.pathsep}{env['PATH']}"
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    _run([str(bin_dir / "healthcare-dataops"), "generate", "--landing", str(tmp_path / "landing"),
          "--side", str(tmp_path / "side"), "--patients", "50", "--days", "1", "--start-date", DAY, "--quiet"],
         env=env, cwd=source, timeout=600)
    # The data layers with their checks (the model needs more labelled stays than a day gives).
    done = _run([str(bin_dir / "dagster"), "asset", "materialize", "-m", "healthcare_dataops.definitions",
                 "--select", "group:bronze or group:silver or group:gold", "--partition", DAY],
                env=env, cwd=source, timeout=900)
    assert "RUN_SUCCESS" in done.stdout + done.stderr

    version = _run([str(bin_dir / "python"), "-c", "import sys; print(sys.version)"]).stdout
    assert version.startswith(f"{Path(python).name.removeprefix('python')}."), version
    for layer, table in (("silver", "patients"), ("silver", "lab_results"), ("gold", "patient_features")):
        assert DeltaTable(str(data / "lakehouse" / layer / table)).to_pyarrow_table().num_rows > 0, table

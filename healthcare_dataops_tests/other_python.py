"""The other Python the lock supports, and the main job's install onto it from constraints.txt.

The install is the quickstart's (the package and its runtime dependencies, no extras), from a
copy of the package's sources so that the build leaves nothing in the checkout. It takes
minutes, most of them waiting on the package index rather than computing, so it is a background
command started beside the others when the suite collects the test that needs it
(background.py), and the test reads its folder at the end of the run.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from healthcare_dataops_tests import background
from healthcare_dataops_tests.conftest import REPO_ROOT

# pyproject.toml's requires-python, as (major, minor) pairs.
SUPPORTED = ((3, 11), (3, 12))


def find_other_python() -> str | None:
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


def source(workdir: Path) -> Path:
    """The copy of the package's sources the install builds from, in the command's folder."""
    return workdir / "source"


def bin_dir(workdir: Path) -> Path:
    return workdir / "venv" / "bin"


def install_on_the_other_python(workdir: Path) -> background.Command:
    """A venv of the other supported Python in ``workdir/venv``, the package installed into it
    from a copy of its sources in ``workdir/source``; a skip where the machine has no other."""
    python = find_other_python()
    if python is None:
        pytest.skip(f"no other supported Python ({', '.join(f'{a}.{b}' for a, b in SUPPORTED)}) installed")
    copy = source(workdir)
    copy.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copyfile(REPO_ROOT / name, copy / name)
    shutil.copytree(REPO_ROOT / "healthcare_dataops", copy / "healthcare_dataops",
                    ignore=shutil.ignore_patterns("__pycache__"))
    # The code maps silver conforms to, read from the working directory of an installed package.
    shutil.copytree(REPO_ROOT / "data" / "reference", copy / "data" / "reference")
    venv = workdir / "venv"
    script = (f"set -e; '{python}' -m venv '{venv}'; "
              f"'{venv}/bin/python' -m pip install --quiet --no-compile -c '{REPO_ROOT / 'constraints.txt'}' "
              f"'{copy}'; '{venv}/bin/python' -m pip check")
    return background.Command(["bash", "-c", script], workdir, dict(os.environ), timeout=1800, queued=False)

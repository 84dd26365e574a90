"""The other Python the lock supports, and the main job's install onto it from constraints.txt.

The install is the quickstart's (the package and its runtime dependencies, no extras), from a
copy of the package's sources so that the build leaves nothing in the checkout. It takes
minutes, most of them waiting on the package index rather than computing, so the suite starts
it in the background when it collects the test that needs it (conftest) and the test waits
for it at the end of the run.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from healthcare_dataops_tests.conftest import REPO_ROOT

# pyproject.toml's requires-python, as (major, minor) pairs.
SUPPORTED = ((3, 11), (3, 12))
TEST_MODULE = "test_other_python.py"


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


@dataclass
class OtherPythonInstall:
    """A venv of ``python`` in ``root/venv`` with the package installed from ``root/source``."""

    python: str
    root: Path
    process: subprocess.Popen

    @property
    def source(self) -> Path:
        return self.root / "source"

    @property
    def bin_dir(self) -> Path:
        return self.root / "venv" / "bin"

    @property
    def log(self) -> Path:
        return self.root / "install.log"

    @classmethod
    def start(cls, python: str) -> OtherPythonInstall:
        root = Path(tempfile.mkdtemp(prefix="healthcare-dataops-other-python-"))
        source = root / "source"
        source.mkdir()
        for name in ("pyproject.toml", "README.md"):
            shutil.copyfile(REPO_ROOT / name, source / name)
        shutil.copytree(REPO_ROOT / "healthcare_dataops", source / "healthcare_dataops",
                        ignore=shutil.ignore_patterns("__pycache__"))
        # The code maps silver conforms to, read from the working directory of an installed package.
        shutil.copytree(REPO_ROOT / "data" / "reference", source / "data" / "reference")
        venv = root / "venv"
        script = (f"set -e; '{python}' -m venv '{venv}'; "
                  f"'{venv}/bin/python' -m pip install --quiet --no-compile -c '{REPO_ROOT / 'constraints.txt'}' "
                  f"'{source}'; '{venv}/bin/python' -m pip check")
        with open(root / "install.log", "wb") as log:
            process = subprocess.Popen(["bash", "-c", script], stdout=log, stderr=subprocess.STDOUT,
                                       stdin=subprocess.DEVNULL, start_new_session=True)
        return cls(python, root, process)

    def wait(self, timeout: float = 1800) -> None:
        """Until the install is done; fails with its log if it failed."""
        code = self.process.wait(timeout=timeout)
        assert code == 0, f"installing onto {self.python} failed:\n{self.log.read_text(errors='replace')[-4000:]}"

    def remove(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        shutil.rmtree(self.root, ignore_errors=True)


INSTALL_KEY = pytest.StashKey[OtherPythonInstall]()


def start_in_background(session: pytest.Session) -> None:
    """The install started as soon as the run is known to hold the test (in one process: with
    workers, the worker that runs it installs then)."""
    if hasattr(session.config, "workerinput") or not any(item.path.name == TEST_MODULE for item in session.items):
        return
    python = find_other_python()
    if python is not None:
        session.config.stash[INSTALL_KEY] = OtherPythonInstall.start(python)


def remove_background_install(session: pytest.Session) -> None:
    install = session.config.stash.get(INSTALL_KEY, None)
    if install is not None:
        install.remove()

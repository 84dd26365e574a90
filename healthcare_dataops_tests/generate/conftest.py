"""Generated landing zones shared by the generator tests, each made once per session
through the real CLI entry point."""

from __future__ import annotations

from pathlib import Path

import pytest

from healthcare_dataops.cli import main


class Runs:
    def __init__(self, factory: pytest.TempPathFactory):
        self.factory = factory
        self.made: dict[tuple[str, ...], tuple[Path, Path]] = {}

    def __call__(self, *args: str, folder: Path | None = None) -> tuple[Path, Path]:
        """(landing, side) of ``generate`` with these options; ``folder`` reuses a directory."""
        key = (*args, str(folder))
        if key not in self.made:
            root = folder or self.factory.mktemp("gen")
            landing, side = root / "landing", root / "side"
            assert main(["generate", "--landing", str(landing), "--side", str(side), "--quiet", *args]) == 0
            self.made[key] = landing, side
        return self.made[key]


@pytest.fixture(scope="session")
def generated(tmp_path_factory) -> Runs:
    return Runs(tmp_path_factory)


@pytest.fixture(scope="session")
def small(generated) -> tuple[Path, Path]:
    """50 patients over 3 days, the default everything else."""
    return generated("--patients", "50", "--days", "3")

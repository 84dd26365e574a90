"""Where the source systems deliver their files."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import dagster as dg

from healthcare_dataops import landing_zone


@dataclass(frozen=True)
class LandingFile:
    """One delivered file: its path relative to the landing root, size and content hash."""

    relative_path: str
    size_bytes: int
    sha256: str

    @property
    def name(self) -> str:
        return self.relative_path.rsplit("/", 1)[-1]


class LandingZoneResource(dg.ConfigurableResource):
    """A folder of daily deliveries laid out as ``healthcare_dataops.landing_zone`` says."""

    root: str

    def files(self, source: str, day: str) -> list[LandingFile]:
        """Every file delivered by ``source`` on ``day``, in a stable order."""
        folder = Path(self.root) / landing_zone.day_folder(source, day)
        if not folder.is_dir():
            return []
        found = []
        for path in sorted(p for p in folder.iterdir() if p.is_file()):
            if path.name.startswith("."):
                continue  # editors' and uploaders' temporary files are not deliveries
            relative = path.relative_to(self.root).as_posix()
            found.append(LandingFile(relative, path.stat().st_size, _sha256(path)))
        return found

    def open(self, file: LandingFile) -> BinaryIO:
        return (Path(self.root) / file.relative_path).open("rb")

    def delivery_days(self, source: str) -> list[str]:
        """The days ``source`` has delivered anything, oldest first."""
        folder = Path(self.root) / source
        if not folder.is_dir():
            return []
        return sorted(
            p.name for p in folder.iterdir() if p.is_dir() and landing_zone.is_day_folder(p.name)
        )


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()

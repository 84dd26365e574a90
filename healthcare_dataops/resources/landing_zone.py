"""Where the source systems deliver their files."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import dagster as dg

from healthcare_dataops import landing_layout


@dataclass(frozen=True)
class LandingFile:
    """One delivered file: its path relative to the landing root, size and content hash."""

    relative_path: str
    size_bytes: int
    sha256: str

    @property
    def name(self) -> str:
        return self.relative_path.rsplit("/", 1)[-1]


@dataclass(frozen=True)
class LandingFileStat:
    """What can be known of a delivered file without reading it: enough to see it change."""

    relative_path: str
    size_bytes: int
    modified_ns: int


class LandingZoneResource(dg.ConfigurableResource):
    """A folder of daily deliveries laid out as ``healthcare_dataops.landing_layout`` says.

    The assets and the landing-zone sensor take this type; ``S3LandingZoneResource`` is the
    same landing zone under an S3 prefix.
    """

    root: str

    def files(self, source: str, day: str) -> list[LandingFile]:
        """Every file delivered by ``source`` on ``day``, in a stable order."""
        folder = Path(self.root) / landing_layout.day_folder(source, day)
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

    def uri(self, file: LandingFile) -> str:
        """Where the engine's workers read the file: an absolute path (or ``s3://`` URI)."""
        return str((Path(self.root) / file.relative_path).resolve())

    def delivery_days(self, source: str) -> list[str]:
        """The days ``source`` has delivered anything, oldest first."""
        folder = Path(self.root) / source
        if not folder.is_dir():
            return []
        return sorted(
            p.name for p in folder.iterdir() if p.is_dir() and landing_layout.is_day_folder(p.name)
        )

    def snapshot(self) -> list[LandingFileStat]:
        """Every file in every ``<source>/<folder>/``, from directory listings only (no file is
        opened), so a sensor tick stays cheap. Folders whose name is not a day are included:
        the caller decides what to say about them."""
        found = []
        for source in landing_layout.SOURCES:
            for folder in _visible_entries(Path(self.root) / source):
                if not folder.is_dir():
                    continue
                for entry in _visible_entries(Path(folder.path)):
                    if entry.is_file():
                        stat = entry.stat()
                        relative = f"{source}/{folder.name}/{entry.name}"
                        found.append(LandingFileStat(relative, stat.st_size, stat.st_mtime_ns))
        return sorted(found, key=lambda f: f.relative_path)


def _visible_entries(folder: Path) -> list[os.DirEntry]:
    """A folder's entries without dotfiles (editors' and uploaders' temporary files)."""
    if not folder.is_dir():
        return []
    with os.scandir(folder) as entries:
        return [e for e in entries if not e.name.startswith(".")]


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()

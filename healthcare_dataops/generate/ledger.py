"""What was written where: per delivered file, the bronze table and the records it holds."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class FileRecord:
    path: str  # relative to the landing root, with forward slashes
    table: str  # the bronze table its records land in
    rows: int = 0  # records the parser will produce
    quarantined: int = 0  # records the parser will reject
    # What fault injection needs to pick targets: not part of the manifest.
    detail: dict = field(default_factory=dict)

    def counts(self) -> dict[str, int]:
        return {"rows": self.rows, "quarantined": self.quarantined}


class AtomicText:
    """A file written under a hidden temporary name and renamed into place when complete,
    so a bronze sensor never reads a half-written delivery."""

    def __init__(self, path: Path, newline: str = ""):
        self.path = path
        self.tmp = path.with_name(f".{path.name}.part")
        path.parent.mkdir(parents=True, exist_ok=True)
        self.handle = open(self.tmp, "w", encoding="utf-8", newline=newline)  # noqa: SIM115 - closed by close()

    def write(self, text: str) -> None:
        self.handle.write(text)

    def close(self) -> None:
        self.handle.close()
        os.replace(self.tmp, self.path)


def relative(root: Path, path: Path) -> str:
    return path.relative_to(root).as_posix()

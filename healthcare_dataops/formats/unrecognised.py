"""Files in a delivery folder that no parser reads: kept whole in quarantine, never ignored."""

from __future__ import annotations

from collections.abc import Iterator
from typing import BinaryIO

from healthcare_dataops.formats.records import Rejected


def reject_whole_file(stream: BinaryIO, *, reason: str) -> Iterator[Rejected]:
    data = stream.read()
    detail = {} if _is_utf8(data) else {"raw_hex": data.hex()}
    yield Rejected(raw_text=data.decode("utf-8", errors="replace"), reason=reason, position=(), detail=detail)


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True

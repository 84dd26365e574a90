"""Streams for the parser tests: whole files from bytes, or files that are never in memory."""

from __future__ import annotations

import io
import tracemalloc
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from healthcare_dataops.formats.records import ParsedRow, Rejected


class _ChunkSource(io.RawIOBase):
    """A read-only raw stream over an iterator of byte chunks, produced as they are read."""

    def __init__(self, chunks: Iterable[bytes], max_read: int | None = None) -> None:
        self._chunks: Iterator[bytes] = iter(chunks)
        self._pending = b""
        self._max_read = max_read

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self._pending:
            self._pending = next(self._chunks, None)
            if self._pending is None:
                self._pending = b""
                return 0
        size = min(len(buffer), len(self._pending), self._max_read or len(self._pending))
        buffer[:size] = self._pending[:size]
        self._pending = self._pending[size:]
        return size


def generated(chunks: Iterable[bytes]) -> io.BufferedReader:
    """A binary stream whose content is made on demand: it never exists whole in memory."""
    return io.BufferedReader(_ChunkSource(chunks))


def trickle(data: bytes) -> _ChunkSource:
    """A raw stream that hands out one byte per read, to split line endings across reads."""
    return _ChunkSource([data], max_read=1)


def split(results: Iterable[ParsedRow | Rejected]) -> tuple[list[ParsedRow], list[Rejected]]:
    rows: list[ParsedRow] = []
    rejected: list[Rejected] = []
    for result in results:
        (rows if isinstance(result, ParsedRow) else rejected).append(result)
    return rows, rejected


def peak_memory_while(consume: Callable[[], int]) -> tuple[int, int]:
    """(what ``consume`` returned, peak bytes Python allocated while it ran)."""
    tracemalloc.start()
    try:
        result = consume()
        return result, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()

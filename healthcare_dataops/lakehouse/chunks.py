"""A run's delivery days cut into chunks of bounded work, so memory follows a chunk, not a run.

A backfill is one run over many days (the CLI's ``--partition-range``, a UI backfill with a
single-run policy); every step that reads or writes a day's data goes through its days a
chunk at a time, and a chunk is as many whole days as fit its step's limits.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence


def day_chunks(
    days: Sequence[str], weight: Mapping[str, int], *, max_weight: int, max_days: int
) -> list[list[str]]:
    """``days`` in order, grouped so a group stays within ``max_weight`` (bytes, rows) and
    ``max_days``; a day heavier than the limit makes a group of its own."""
    chunks: list[list[str]] = []
    current: list[str] = []
    total = 0
    for day in days:
        heavy = total + weight.get(day, 0) > max_weight
        if current and (heavy or len(current) >= max_days):
            chunks.append(current)
            current, total = [], 0
        current.append(day)
        total += weight.get(day, 0)
    if current:
        chunks.append(current)
    return chunks


class ChunkProgress:
    """A line for the step's log as each chunk commits: a backfill is one long run, and this
    is how far it got."""

    def __init__(self, table: str, chunks: int, days: int, say: Callable[[str], None]) -> None:
        self._table, self._chunks, self._days, self._say = table, chunks, days, say
        self._committed = self._days_done = 0
        self._started = time.perf_counter()

    def committed(self, days: Sequence[str], rows_so_far: str) -> None:
        """``days`` (in order) are committed; ``rows_so_far`` says what the step has written."""
        self._committed += 1
        self._days_done += len(days)
        self._say(
            f"{self._table}: delivery days {days[0]}...{days[-1]} committed (chunk {self._committed} of "
            f"{self._chunks}, {self._days_done} of {self._days} days), {rows_so_far} so far, "
            f"{time.perf_counter() - self._started:.1f} s"
        )

"""A run's delivery days cut into chunks of bounded work, so memory follows a chunk, not a run.

A backfill is one run over many days (the CLI's ``--partition-range``, a UI backfill with a
single-run policy); every step that reads or writes a day's data goes through its days a
chunk at a time, and a chunk is as many whole days as fit its step's limits.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence


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

"""A check batch over pandas frames already in memory, cut into chunks of a few rows."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import pandas


@dataclass
class FrameBatch:
    frame: pandas.DataFrame
    chunk_rows: int = 2
    day_column: str | None = None
    last_day: str | None = None

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(self.frame.columns)

    def chunks(self, columns: Sequence[str]) -> Iterator[pandas.DataFrame]:
        for start in range(0, len(self.frame), self.chunk_rows):
            yield self.frame.iloc[start:start + self.chunk_rows][list(columns)].reset_index(drop=True)

    def duplicate_keys(self, keys: Sequence[str]) -> tuple[int, list[str]]:
        repeated = self.frame[self.frame.duplicated(list(keys), keep=False)]
        return len(repeated), [", ".join(map(str, row))
                               for row in repeated[list(keys)].drop_duplicates().itertuples(index=False)]

"""A Delta table's rows of a run, as its checks read them: a chunk of days at a time.

Rows come through delta-rs with only the columns the suites read and only the run's days
(partition pruning where the day is the partition column, Parquet statistics elsewhere), as
pandas frames of a bounded size; a key's uniqueness over the whole run is asked of the
engine, which groups the run's keys without holding them in Python.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass

import pandas
import pyarrow.compute as pc
from deltalake import DeltaTable
from pyspark.sql import SparkSession
from pyspark.sql import functions as F

from healthcare_dataops.lakehouse import spark_tables, storage
from healthcare_dataops.lakehouse.chunks import day_chunks
from healthcare_dataops.quality.suite_result import MAX_EXAMPLES, short_text

# Rows one chunk brings into pandas: GX validates a few million rows a second, and a chunk's
# frame of a dozen columns stays well under a gigabyte.
CHECK_CHUNK_ROWS = 1_000_000



@dataclass(frozen=True)
class DerivedColumn:
    """A column a batch adds to each frame, from stored columns (a flag, a complete label)."""

    reads: tuple[str, ...]
    derive: Callable[[pandas.DataFrame], pandas.Series]


@dataclass
class DeltaCheckBatch:
    """``uri``'s rows whose ``day_column`` is one of ``days`` (all rows where ``days`` is None)."""

    uri: str
    table_columns: tuple[str, ...]
    days: list[str] | None
    day_column: str | None
    spark: SparkSession | None = None
    # Rows per day to plan chunks by (None: one chunk), e.g. from Delta statistics.
    rows_per_day: Mapping[str, int] | None = None
    derived: Mapping[str, DerivedColumn] | None = None
    # Flag columns that exist in the schema the suites expect but that no row-level expectation
    # reads (so they are never computed).
    schema_only: tuple[str, ...] = ()
    chunk_rows: int = CHECK_CHUNK_ROWS

    @property
    def columns(self) -> tuple[str, ...]:
        return (*self.table_columns, *(self.derived or {}), *self.schema_only)

    @property
    def last_day(self) -> str | None:
        return max(self.days) if self.days else None

    def chunks(self, columns: Sequence[str]) -> Iterator[pandas.DataFrame]:
        derived = {name: d for name, d in (self.derived or {}).items() if name in columns}
        read = sorted({c for c in columns if c in self.table_columns} | {c for d in derived.values() for c in d.reads})
        dataset = DeltaTable(self.uri, storage_options=storage.storage_options(self.uri)).to_pyarrow_dataset()
        for days in self._day_chunks():
            where = None if days is None else pc.field(self.day_column).isin([dt.date.fromisoformat(d) for d in days])
            frame = dataset.to_table(columns=read, filter=where).to_pandas()
            for name, column in derived.items():
                frame[name] = column.derive(frame)
            yield frame[[c for c in columns if c in frame.columns]]

    def duplicate_keys(self, keys: Sequence[str]) -> tuple[int, list[str]]:
        if self.spark is None:  # a small table: pandas holds its keys
            frames = list(self.chunks(list(keys)))
            keyed = pandas.concat(frames) if frames else pandas.DataFrame(columns=list(keys))
            repeated = keyed[keyed.duplicated(list(keys), keep=False)]
            examples = [", ".join(short_text(v) for v in row) for row in repeated.drop_duplicates().head(MAX_EXAMPLES).itertuples(index=False)]
            return len(repeated), examples
        rows = spark_tables.read(self.spark, self.uri)
        if self.days is not None:
            rows = rows.where(F.col(self.day_column).isin([dt.date.fromisoformat(d) for d in self.days]))
        repeated = rows.groupBy(*keys).count().where(F.col("count") > 1)
        examples = [", ".join(short_text(r[k]) for k in keys) for r in repeated.limit(MAX_EXAMPLES).collect()]
        if not examples:
            return 0, []
        # Summed here, not by the engine: Sail 0.7.2 fails an aggregate of this aggregate
        # ("physical input schema should be the same as ... logical") on a table of many files.
        return sum(r["count"] for r in repeated.select("count").collect()), examples

    def _day_chunks(self) -> Iterator[list[str] | None]:
        if self.days is None or self.rows_per_day is None:
            yield self.days
            return
        yield from day_chunks(self.days, self.rows_per_day, max_weight=self.chunk_rows, max_days=len(self.days) or 1)

"""A Delta table's rows of a run, as its checks read them: a bounded chunk at a time.

Rows come through delta-rs with only the columns the suites read and only the run's days, as
pandas frames of a bounded size; a key's uniqueness over the whole run is asked of the
engine, which groups the run's keys without holding them in Python.

A table partitioned by its delivery day is read a chunk of days at a time. One partitioned
otherwise (readings by the day measured) is read a chunk of its partitions at a time, those
whose files the Delta log shows holding rows of the run's days: each file is read once,
where a chunk of days would scan every file's statistics again. Text columns come as
pandas categoricals (dictionary-encoded by Arrow): GX validates them three times faster than
a column of Python strings, with the same results.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass

import pandas
import pyarrow as pa
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
    # The table's partition column, where it is not the day column: chunks follow it.
    partition_column: str | None = None
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
        delta = DeltaTable(self.uri, storage_options=storage.storage_options(self.uri))
        dataset = delta.to_pyarrow_dataset()
        for where in self._chunk_filters(delta):
            rows = dataset.to_table(columns=read, filter=where)
            frame = pa.table({c: _categorical(rows[c]) for c in rows.column_names}).to_pandas()
            for name, column in derived.items():
                frame[name] = column.derive(frame)
            yield frame[[c for c in columns if c in frame.columns]]

    def duplicate_keys(self, keys: Sequence[str]) -> tuple[int, list[str]]:
        if self.spark is None:  # a small table: pandas holds its keys
            frames = list(self.chunks(list(keys)))
            keyed = pandas.concat(frames) if frames else pandas.DataFrame(columns=list(keys))
            repeated = keyed[keyed.duplicated(list(keys), keep=False)]
            examples = [", ".join(short_text(v) for v in row)
                        for row in repeated.drop_duplicates().head(MAX_EXAMPLES).itertuples(index=False)]
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

    def _chunk_filters(self, delta: DeltaTable) -> Iterator[pc.Expression | None]:
        if self.days is None:
            yield None
            return
        in_days = pc.field(self.day_column).isin([dt.date.fromisoformat(d) for d in self.days])
        if self.partition_column is not None:
            for values in _partition_chunks(delta, self.partition_column, self.day_column, self.days, self.chunk_rows):
                yield pc.field(self.partition_column).isin(values) & in_days
            return
        if self.rows_per_day is None:
            yield in_days
            return
        for days in day_chunks(self.days, self.rows_per_day, max_weight=self.chunk_rows, max_days=len(self.days) or 1):
            yield pc.field(self.day_column).isin([dt.date.fromisoformat(d) for d in days])


def _partition_chunks(delta: DeltaTable, partition: str, day_column: str, days: Sequence[str],
                      chunk_rows: int) -> Iterator[list]:
    """The partition values whose files may hold rows of ``days`` (by the files' min and max
    of ``day_column`` in the Delta log; a file without them may), in chunks of ``chunk_rows``."""
    files = pa.table(delta.get_add_actions(flatten=True))
    first, last = dt.date.fromisoformat(min(days)), dt.date.fromisoformat(max(days))
    rows: dict = {}
    names = files.column_names
    for row in files.select([c for c in (f"partition.{partition}", f"min.{day_column}", f"max.{day_column}",
                                         "num_records") if c in names]).to_pylist():
        low, high = row.get(f"min.{day_column}"), row.get(f"max.{day_column}")
        if low is not None and high is not None and (high < first or low > last):
            continue
        value = row[f"partition.{partition}"]
        rows[value] = rows.get(value, 0) + (row.get("num_records") or 0)
    chunk, size = [], 0
    for value in sorted(v for v in rows if v is not None) + ([None] if None in rows else []):
        if chunk and size + rows[value] > chunk_rows:
            yield chunk
            chunk, size = [], 0
        chunk.append(value)
        size += rows[value]
    if chunk:
        yield chunk


def _categorical(column: pa.ChunkedArray) -> pa.ChunkedArray:
    textual = pa.types.is_string(column.type) or pa.types.is_large_string(column.type)
    return pc.dictionary_encode(column) if textual else column

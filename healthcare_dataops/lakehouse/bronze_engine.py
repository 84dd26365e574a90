"""Delivered line-oriented files read into bronze rows on the Spark engine.

The engine reads the files' lines (``landing_lines``), parses them with the format's engine
reader, and hands every line that reader did not prove it reads as the reference does to the
reference parser itself, on the engine's Python workers. So bronze holds exactly what the
Python parsers would have written, and the heavy work grows with the engine's workers.

Records the reference rejects cannot leave a Spark job beside the rows it writes, so the
workers stage them as Parquet files under ``rejects_uri`` (the engine's counterpart of a
reader's bad-records path), named by the first record they hold: a task run again writes the
same files. The caller commits them to the quarantine table (``take_staged``) once the rows
are written.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from healthcare_dataops.formats.records import ParsedRow, ParseResult
from healthcare_dataops.lakehouse import landing_lines, storage
from healthcare_dataops.lakehouse.bronze_records import (
    PARTITION_COLUMN,
    QUARANTINE_SCHEMA,
    STREAM_PROVENANCE_FIELDS,
    BronzeTable,
    positions,
    quarantine_row,
)

ENGINE_READ = "read_on_engine"

_SPARK_TYPES = {pa.string(): "string", pa.int64(): "long", pa.date32(): "date",
                pa.timestamp("us", tz="UTC"): "timestamp"}


@dataclass(frozen=True)
class EngineLineFormat:
    """A format of one record a line that the engine reads, and its reference parser.

    ``read`` adds the table's columns and the boolean ``ENGINE_READ`` to the lines (columns
    ``line_text``, ``source_record``, provenance); ``reference`` parses one line's bytes into
    a result (or a list of them: a FHIR bundle is one record of many resources).
    ``split``: the ``mapInArrow`` function that cuts the listed files into records.
    """

    read: Callable[[DataFrame], DataFrame]
    reference: Callable[[bytes, int], ParseResult | list[ParseResult] | None]
    split: Callable = landing_lines.read_lines


@dataclass(frozen=True)
class EngineFile:
    uri: str
    relative_path: str
    sha256: str
    day: str


def read_on_engine(
    spark: SparkSession,
    table: BronzeTable,
    line_format: EngineLineFormat,
    files: list[EngineFile],
    *,
    ingested_at: dt.datetime,
    rejects_uri: str,
    read_tasks: int,
) -> DataFrame:
    """The bronze rows of ``files`` in ``table``'s columns; rejected records go to ``rejects_uri``.

    ``read_tasks``: how many tasks read the files, as many as the engine runs at once. Each
    holds its file's lines until the parse takes them: a task per file on a many-file day
    held gigabytes on a two-core engine, for no speed.
    """
    listed = spark.createDataFrame(
        landing_lines.files_table([(f.uri, f.relative_path, f.sha256, f.day) for f in files])
    )
    lines = listed.repartition(max(1, min(len(files), read_tasks))).mapInArrow(
        line_format.split, landing_lines.LINES_DDL
    )
    provenance = F.broadcast(listed.drop("uri"))
    records = landing_lines.records(lines.join(provenance, "file_index").drop("file_index"))
    completed = line_format.read(records).mapInArrow(
        _ReferenceForHandedOver(table, line_format.reference, ingested_at, rejects_uri),
        _ddl(_completed_schema(table)),
    )
    return completed.select(
        *[F.col(c) for c in _completed_schema(table).names],
        F.lit(ingested_at).alias("ingested_at"),
        # A file's rows come from no broker topic (a table fed both ways has the columns).
        *[F.lit(None).cast(_SPARK_TYPES[f.type]).alias(f.name) for f in STREAM_PROVENANCE_FIELDS
          if f.name in table.schema.names],
    ).select(*table.schema.names)


def take_staged(rejects_uri: str) -> pa.Table:
    """The rejected records staged under ``rejects_uri``, each once; the folder is removed."""
    filesystem, path = storage.arrow_filesystem(rejects_uri)
    found = filesystem.get_file_info(storage.arrow_selector(path))
    parts = [pq.read_table(info.path, filesystem=filesystem) for info in found if info.is_file]
    if found:
        filesystem.delete_dir(path)
    if not parts:
        return QUARANTINE_SCHEMA.empty_table()
    staged = pa.concat_tables(parts).cast(QUARANTINE_SCHEMA)
    # A task run twice with other batch bounds stages a record twice: keep one.
    numbered = staged.append_column("_n", pa.array(range(staged.num_rows), pa.int64()))
    first = numbered.group_by(["source_file", "source_position"]).aggregate([("_n", "min")])
    return staged.take(pc.sort_indices(first["_n_min"]))


class _ReferenceForHandedOver:
    """``mapInArrow`` step: lines the engine read pass through; the others are parsed by the
    reference, its rows joining the output and its rejections staged as Parquet."""

    def __init__(self, table: BronzeTable, reference, ingested_at: dt.datetime, rejects_uri: str) -> None:
        self.table, self.reference = table, reference
        self.ingested_at, self.rejects_uri = ingested_at, rejects_uri
        self.schema = _completed_schema(table)

    def __call__(self, batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for batch in batches:
            read = batch.column(ENGINE_READ).fill_null(False)
            passed = batch.filter(read).select(self.schema.names)
            yield pa.RecordBatch.from_arrays(passed.columns, schema=self.schema)
            handed = batch.filter(pc.invert(read))
            if handed.num_rows:
                yield self._by_reference(handed)

    def _by_reference(self, handed: pa.RecordBatch) -> pa.RecordBatch:
        rows, rejected = [], []
        for line in handed.to_pylist():
            raw = line["line_bytes"] if line["line_bytes"] is not None else line["line_text"].encode("utf-8")
            results = self.reference(raw, line["source_record"])
            provenance = {"source_file": line["source_file"], "source_file_sha256": line["source_file_sha256"],
                          PARTITION_COLUMN: line[PARTITION_COLUMN]}
            for result in results if isinstance(results, list) else [results]:
                if isinstance(result, ParsedRow):
                    rows.append({**result.values, **positions(self.table.position_columns, result.position),
                                 **provenance})
                elif result is not None:
                    rejected.append(quarantine_row(self.table, result, {**provenance, "ingested_at": self.ingested_at}))
        if rejected:
            self._stage(rejected)
        return pa.RecordBatch.from_pylist(rows, schema=self.schema)

    def _stage(self, rejected: list[dict]) -> None:
        first = rejected[0]
        name = f"{first['source_file_sha256'][:16]}-{first['source_position'].replace(' ', '')}-{len(rejected)}.parquet"
        filesystem, folder = storage.arrow_filesystem(self.rejects_uri)
        filesystem.create_dir(folder, recursive=True)
        pq.write_table(pa.Table.from_pylist(rejected, schema=QUARANTINE_SCHEMA), os.path.join(folder, name),
                       filesystem=filesystem)


def _completed_schema(table: BronzeTable) -> pa.Schema:
    """The columns the engine's readers fill: not the ingestion time nor a topic's provenance."""
    left_out = {"ingested_at", *(f.name for f in STREAM_PROVENANCE_FIELDS)}
    return pa.schema([f for f in table.schema if f.name not in left_out])


def _ddl(schema: pa.Schema) -> str:
    return ", ".join(f"{f.name} {_SPARK_TYPES[f.type]}" for f in schema)

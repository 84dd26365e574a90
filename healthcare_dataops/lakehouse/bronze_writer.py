"""Delivered files → bronze Delta tables, with a quarantine for what cannot be parsed.

Every bronze asset goes through ``BronzeWriter``. It ingests a run's deliveries a chunk of
whole delivery days at a time (so memory follows the chunk, not the backfill): each chunk's
rows land in one Delta commit that replaces those files' earlier rows (a re-run or a
re-delivered file never duplicates anything). It skips a file whose exact content was already
ingested under another name, and keeps every record a parser rejected, raw text and reason,
in the source's quarantine table.

A delivery is parsed where its format is read best: files of one record a line that the engine
reads (``Delivery.on_engine``) are read and parsed by the Spark engine (``bronze_engine``); the
rest by the Python parsers, on this worker, a batch at a time. Without an engine session every
file takes the Python parsers, which are the reference the engine's readers are held to.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import BinaryIO

import pyarrow as pa
import pyarrow.compute as pc
from pyspark.sql import SparkSession
from pyspark.sql import functions as F

from healthcare_dataops.formats import encodings
from healthcare_dataops.formats.encodings import as_utf8
from healthcare_dataops.formats.raw_text import BOM
from healthcare_dataops.formats.records import ParseResult, Rejected
from healthcare_dataops.lakehouse import bronze_engine, delta_tables, spark_tables, storage
from healthcare_dataops.lakehouse.bronze_engine import EngineFile, EngineLineFormat
from healthcare_dataops.lakehouse.bronze_records import (
    PARTITION_COLUMN,
    QUARANTINE_SCHEMA,
    BronzeTable,
    positions,
    quarantine_row,
)
from healthcare_dataops.lakehouse.chunks import ChunkProgress, day_chunks
from healthcare_dataops.resources.lakehouse import LakehouseResource
from healthcare_dataops.resources.landing_zone import LandingFile, LandingZoneResource

__all__ = ["BronzeTable", "BronzeWriter", "DayCounts", "Delivery", "QuarantineReport", "TableReport"]

BATCH_ROWS = 50_000
PREVIEW_ROWS = 5
# A chunk is whole delivery days up to about this much delivered data, and at most this many
# days: the engine keeps a Parquet writer open per day of a chunk.
CHUNK_BYTES = 2 << 30
CHUNK_DAYS = 7

Parser = Callable[[BinaryIO, LandingFile], Iterator[ParseResult]]


@dataclass(frozen=True)
class Delivery:
    day: str
    file: LandingFile
    parse: Parser
    # Set for files of one record a line that the engine can read and parse.
    on_engine: EngineLineFormat | None = None


@dataclass
class DayCounts:
    """What one delivery day brought: rows, quarantined records, files read and skipped."""

    rows_written: int = 0
    rows_quarantined: int = 0
    files_ingested: list[str] = field(default_factory=list)
    files_skipped: dict[str, str] = field(default_factory=dict)
    # Delivered files that held no record at all (0 bytes, or a header alone): nothing to
    # lose, but a source that sends nothing is worth a look.
    files_empty: list[str] = field(default_factory=list)
    # Files in UTF-16/32 with a byte-order mark, read decoded: file → the encoding.
    files_decoded: dict[str, str] = field(default_factory=dict)

    @property
    def records_delivered(self) -> int:
        return self.rows_written + self.rows_quarantined


@dataclass
class TableReport:
    table: BronzeTable
    uri: str
    version: int | None
    days: dict[str, DayCounts]
    preview: list[dict[str, str | None]] = field(default_factory=list)
    # How many files each path read: the engine, or the Python parsers.
    files_read_on_engine: int = 0
    commits: int = 0

    @property
    def rows_written(self) -> int:
        return sum(d.rows_written for d in self.days.values())

    @property
    def rows_quarantined(self) -> int:
        return sum(d.rows_quarantined for d in self.days.values())

    @property
    def records_delivered(self) -> int:
        return self.rows_written + self.rows_quarantined

    @property
    def files_ingested(self) -> list[str]:
        return [f for d in self.days.values() for f in d.files_ingested]

    @property
    def files_skipped(self) -> dict[str, str]:
        return {k: v for d in self.days.values() for k, v in d.files_skipped.items()}


@dataclass
class QuarantineReport:
    uri: str
    version: int | None
    reasons_by_day: dict[str, Counter[str]]

    @property
    def rows(self) -> int:
        return sum(sum(c.values()) for c in self.reasons_by_day.values())


class BronzeWriter:
    """Writes one run's deliveries into bronze tables and one quarantine table."""

    def __init__(
        self,
        lakehouse: LakehouseResource,
        landing: LandingZoneResource,
        quarantine_table: str,
        *,
        spark: SparkSession | None = None,
        engine_parallelism: int = 2,
        chunk_bytes: int = CHUNK_BYTES,
        chunk_days: int = CHUNK_DAYS,
        progress: Callable[[str], None] = lambda line: None,
    ) -> None:
        """``progress`` is told of each chunk committed (a step's log: a backfill is one long run)."""
        self._lakehouse = lakehouse
        self._progress = progress
        self._landing = landing
        self._spark, self._parallelism = spark, engine_parallelism
        self._chunk_bytes, self._chunk_days = chunk_bytes, chunk_days
        self._storage = lakehouse.storage_options()
        self._quarantine_uri = lakehouse.table_uri("bronze", quarantine_table)
        self._ingested_at = dt.datetime.now(dt.UTC)
        self._staging = lakehouse.staging_uri(f"bronze-{uuid.uuid4().hex[:12]}")
        self._rejected: list[dict[str, object]] = []
        self._rejected_on_engine: list[pa.Table] = []
        self._considered: dict[str, LandingFile] = {}
        self._days: set[str] = set()

    def ingest(self, table: BronzeTable, days: list[str], deliveries: list[Delivery]) -> TableReport:
        """Ingest ``deliveries`` (files of ``days``) into ``table``; counts are kept per day."""
        uri = self._lakehouse.table_uri("bronze", table.name)
        known = self._ingested_content(uri, table.name)
        report = TableReport(table, uri, None, {day: DayCounts() for day in days})
        todo: list[Delivery] = []
        for delivery in deliveries:
            path, digest = delivery.file.relative_path, delivery.file.sha256
            self._considered[path] = delivery.file
            self._days.add(delivery.day)
            earlier = known.get(digest)
            if earlier is not None and earlier != path:
                report.days[delivery.day].files_skipped[path] = earlier
                continue
            todo.append(delivery)

        # Content that brought records earlier in this run; an empty file (a header alone)
        # repeats every day and is no re-delivery.
        first_file_of: dict[str, str] = {}
        chunks = list(self._chunks(todo))
        progress = ChunkProgress(table.name, len(chunks), len({d.day for d in todo}), self._progress)
        for chunk in chunks:
            if self._spark is not None and any(d.on_engine for d in chunk):
                report.version = self._write_on_engine(table, chunk, report, first_file_of)
            else:
                report.version = self._write_in_python(table, chunk, report, first_file_of)
            report.commits += 1
            progress.committed(sorted({d.day for d in chunk}),
                               f"{report.rows_written:,} rows and {report.rows_quarantined:,} quarantined")
        # A first run with nothing delivered still creates the (empty) table for downstream.
        if not todo and delta_tables.open_table(uri, self._storage) is None:
            report.version = delta_tables.replace_batches_where(
                uri, iter(()), table.schema, predicate="false", partition_by=list(table.partition_by),
                storage_options=self._storage,
            )
        return report

    def commit_quarantine(self) -> QuarantineReport:
        """Replace the quarantine rows of every file this run considered; call it last."""
        reasons: dict[str, Counter[str]] = {day: Counter() for day in sorted(self._days)}
        rejected = pa.concat_tables([pa.Table.from_pylist(self._rejected, schema=QUARANTINE_SCHEMA),
                                     *self._rejected_on_engine])
        for row in rejected.group_by([PARTITION_COLUMN, "reason"]).aggregate([("reason", "count")]).to_pylist():
            reasons[row[PARTITION_COLUMN].isoformat()][row["reason"]] += row["reason_count"]
        report = QuarantineReport(self._quarantine_uri, None, reasons)
        if self._considered or delta_tables.open_table(self._quarantine_uri, self._storage) is None:
            report.version = delta_tables.replace_batches_where(
                self._quarantine_uri,
                iter(rejected.to_batches(max_chunksize=BATCH_ROWS)),
                QUARANTINE_SCHEMA,
                predicate=self._files_predicate(list(self._considered), None)
                if self._considered
                else "false",
                partition_by=[PARTITION_COLUMN],
                storage_options=self._storage,
            )
        return report

    def _chunks(self, todo: list[Delivery]) -> Iterator[list[Delivery]]:
        """Whole delivery days, in order, up to the chunk's bytes and days."""
        days = list(dict.fromkeys(d.day for d in todo))
        size: dict[str, int] = {}
        for delivery in todo:
            size[delivery.day] = size.get(delivery.day, 0) + delivery.file.size_bytes
        for chunk in day_chunks(days, size, max_weight=self._chunk_bytes, max_days=self._chunk_days):
            included = set(chunk)
            yield [d for d in todo if d.day in included]

    def _write_in_python(
        self, table: BronzeTable, chunk: list[Delivery], report: TableReport, first_file_of: dict[str, str]
    ) -> int:
        return delta_tables.replace_batches_where(
            report.uri,
            self._batches(table, chunk, report, first_file_of),
            table.schema,
            predicate=self._files_predicate([d.file.relative_path for d in chunk], chunk),
            partition_by=list(table.partition_by),
            storage_options=self._storage,
        )

    def _write_on_engine(
        self, table: BronzeTable, chunk: list[Delivery], report: TableReport, first_file_of: dict[str, str]
    ) -> int:
        """One engine commit for the chunk: the engine's files and the Python parsers' rows."""
        spark = self._spark
        staging = f"{self._staging}/{table.name}"
        on_engine: list[Delivery] = []
        in_python: list[Delivery] = []
        for delivery in chunk:
            path, digest = delivery.file.relative_path, delivery.file.sha256
            if digest in first_file_of:
                report.days[delivery.day].files_skipped[path] = first_file_of[digest]
            elif delivery.on_engine is not None:
                on_engine.append(delivery)
                if self._holds_lines(delivery.file):
                    first_file_of[digest] = path
            else:
                in_python.append(delivery)
        frame = None
        if in_python:
            python_rows = f"{staging}/python-rows"
            _write_parquet(python_rows, self._batches(table, in_python, report, first_file_of), table.schema)
            frame = spark.read.schema(_spark_schema(table)).parquet(python_rows)
        formats = {id(d.on_engine): d.on_engine for d in on_engine}
        for line_format in formats.values():
            files = [self._engine_file(d) for d in on_engine if d.on_engine is line_format]
            read = bronze_engine.read_on_engine(
                spark, table, line_format, files, ingested_at=self._ingested_at,
                rejects_uri=f"{staging}/rejected", read_tasks=self._parallelism,
            )
            frame = read if frame is None else frame.unionByName(read)
        predicate = self._files_predicate([d.file.relative_path for d in on_engine + in_python], chunk)
        delta_tables.add_missing_columns(report.uri, table.schema, self._storage)  # a table from before a release
        spark_tables.replace_where(frame, report.uri, predicate=predicate, partition_by=list(table.partition_by))
        self._count_engine_files(table, on_engine, report, predicate, f"{staging}/rejected")
        report.files_read_on_engine += len(on_engine)
        storage.remove_tree(staging)
        return spark_tables.version(report.uri)

    def _count_engine_files(
        self, table: BronzeTable, on_engine: list[Delivery], report: TableReport, predicate: str, rejects: str
    ) -> None:
        """Rows and rejections of the engine's files, read back from what was committed."""
        written = spark_tables.read(self._spark, report.uri).where(predicate)
        rows = {r["source_file"]: r["count"] for r in written.groupBy("source_file").count().collect()}
        staged = bronze_engine.take_staged(rejects)
        self._rejected_on_engine.append(staged)
        quarantined = Counter(staged["source_file"].to_pylist())
        for delivery in on_engine:
            path = delivery.file.relative_path
            counts = report.days[delivery.day]
            counts.files_ingested.append(path)
            counts.rows_written += rows.get(path, 0)
            counts.rows_quarantined += quarantined.get(path, 0)
            if not rows.get(path) and not quarantined.get(path):
                counts.files_empty.append(path)
            encoding = self._declared_encoding(delivery.file)
            if encoding:
                counts.files_decoded[path] = encoding
        if len(report.preview) < PREVIEW_ROWS and table.preview_columns:
            engine_files = [d.file.relative_path for d in on_engine]
            sample = written.where(F.col("source_file").isin(engine_files)).select(*table.preview_columns)
            report.preview.extend(r.asDict() for r in sample.limit(PREVIEW_ROWS - len(report.preview)).collect())

    def _engine_file(self, delivery: Delivery) -> EngineFile:
        file = delivery.file
        return EngineFile(self._landing.uri(file), file.relative_path, file.sha256, delivery.day)

    def _holds_lines(self, file: LandingFile) -> bool:
        """Whether a file of one record a line holds any record (a non-blank line)."""
        with self._landing.open(file) as delivered:
            stream, _ = as_utf8(delivered)
            head = stream.read(len(BOM)).removeprefix(BOM)
            while head:
                if head.strip():
                    return True
                head = stream.read(1 << 16)
        return False

    def _declared_encoding(self, file: LandingFile) -> str | None:
        with self._landing.open(file) as delivered:
            return encodings.declared_encoding(delivered.read(4))

    def _files_predicate(self, paths: list[str], deliveries: list[Delivery] | None) -> str:
        days = sorted({d.day for d in deliveries} if deliveries else self._days)
        return (
            f"{delta_tables.sql_in(PARTITION_COLUMN, days)} AND "
            f"{delta_tables.sql_in('source_file', sorted(paths))}"
        )

    def _ingested_content(self, uri: str, table_name: str) -> dict[str, str]:
        """Content hash → the file whose records it brought, in the table or its quarantine.

        Read a batch at a time: a month of a big feed is tens of millions of rows, of a few
        hundred distinct files."""
        known = _first_file_per_hash(
            delta_tables.read_batches(uri, ["source_file_sha256", "source_file"], self._storage))
        quarantined = delta_tables.read_batches(
            self._quarantine_uri, ["source_table", "source_file_sha256", "source_file"], self._storage)
        mine = (batch.filter(pc.equal(batch["source_table"], table_name)) for batch in quarantined)
        for digest, path in _first_file_per_hash(mine).items():
            known.setdefault(digest, path)
        return known

    def _batches(
        self, table: BronzeTable, todo: list[Delivery], report: TableReport, first_file_of: dict[str, str]
    ) -> Iterator[pa.RecordBatch]:
        rows: list[dict[str, object]] = []
        for delivery in todo:
            path, digest = delivery.file.relative_path, delivery.file.sha256
            counts = report.days[delivery.day]
            if digest in first_file_of:
                counts.files_skipped[path] = first_file_of[digest]
                continue
            counts.files_ingested.append(path)
            records_before = counts.records_delivered
            provenance = {
                "source_file": delivery.file.relative_path,
                "source_file_sha256": delivery.file.sha256,
                "delivery_date": dt.date.fromisoformat(delivery.day),
                "ingested_at": self._ingested_at,
            }
            with self._landing.open(delivery.file) as delivered:
                stream, encoding = as_utf8(delivered)
                if encoding:
                    counts.files_decoded[path] = encoding
                for result in delivery.parse(stream, delivery.file):
                    if isinstance(result, Rejected):
                        self._rejected.append(quarantine_row(table, result, provenance))
                        counts.rows_quarantined += 1
                        continue
                    row: dict[str, object] = dict(result.values)
                    row.update(positions(table.position_columns, result.position))
                    row.update(provenance)
                    rows.append(row)
                    counts.rows_written += 1
                    if len(report.preview) < PREVIEW_ROWS:
                        report.preview.append({c: result.values.get(c) for c in table.preview_columns})
                    if len(rows) >= BATCH_ROWS:
                        yield from _to_batches(rows, table.schema)
                        rows = []
            if counts.records_delivered > records_before:
                first_file_of[digest] = path
            else:
                counts.files_empty.append(path)
        yield from _to_batches(rows, table.schema)


def _first_file_per_hash(batches: Iterable[pa.RecordBatch]) -> dict[str, str]:
    first: dict[str, str] = {}
    for batch in batches:
        if not batch.num_rows:
            continue
        unique = pa.Table.from_batches([batch]).group_by("source_file_sha256").aggregate([("source_file", "min")])
        for digest, path in zip(unique["source_file_sha256"].to_pylist(), unique["source_file_min"].to_pylist(),
                                strict=True):
            if digest is None:
                continue  # rows that came from a broker topic, not from a file
            if digest not in first or path < first[digest]:
                first[digest] = path
    return first


def _to_batches(rows: list[dict[str, object]], schema: pa.Schema) -> Iterator[pa.RecordBatch]:
    if rows:
        yield pa.RecordBatch.from_pylist(rows, schema=schema)


def _write_parquet(uri: str, batches: Iterator[pa.RecordBatch], schema: pa.Schema) -> None:
    import pyarrow.parquet as pq

    filesystem, folder = storage.arrow_filesystem(uri)
    filesystem.create_dir(folder, recursive=True)
    with pq.ParquetWriter(f"{folder}/part-0.parquet", schema, filesystem=filesystem) as writer:
        for batch in batches:
            writer.write_batch(batch)


def _spark_schema(table: BronzeTable):
    from pyspark.sql import types as T

    kinds = {pa.string(): T.StringType(), pa.int64(): T.LongType(), pa.date32(): T.DateType(),
             pa.timestamp("us", tz="UTC"): T.TimestampType()}
    return T.StructType([T.StructField(f.name, kinds[f.type]) for f in table.schema])

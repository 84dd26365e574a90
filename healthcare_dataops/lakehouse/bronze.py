"""Delivered files → bronze Delta tables, with a quarantine for what cannot be parsed.

Every bronze asset goes through ``BronzeWriter``: it parses each delivered file, writes the
rows of all files of a run in one Delta commit that replaces those files' earlier rows (so a
re-run or a re-delivered file never duplicates anything), skips a file whose exact content
was already ingested under another name, and keeps every record a parser rejected, raw text
and reason, in the source's quarantine table.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import BinaryIO

import pyarrow as pa
import pyarrow.compute as pc

from healthcare_dataops.formats.encodings import as_utf8
from healthcare_dataops.formats.records import ParseResult, Rejected
from healthcare_dataops.lakehouse import delta_tables
from healthcare_dataops.resources.lakehouse import LakehouseResource
from healthcare_dataops.resources.landing_zone import LandingFile, LandingZoneResource

BATCH_ROWS = 50_000
PREVIEW_ROWS = 5

PROVENANCE_FIELDS = (
    pa.field("source_file", pa.string()),
    pa.field("source_file_sha256", pa.string()),
    pa.field("delivery_date", pa.date32()),
    pa.field("ingested_at", pa.timestamp("us", tz="UTC")),
)
PARTITION_COLUMN = "delivery_date"

QUARANTINE_SCHEMA = pa.schema(
    [
        pa.field("source_table", pa.string()),
        pa.field("source_position", pa.string()),
        pa.field("reason", pa.string()),
        pa.field("raw_text", pa.string()),
        pa.field("detail", pa.string()),
        *PROVENANCE_FIELDS,
    ]
)

Parser = Callable[[BinaryIO, LandingFile], Iterator[ParseResult]]


@dataclass(frozen=True)
class BronzeTable:
    """A bronze table: the source's columns as text, where a record sits, and provenance."""

    name: str
    columns: tuple[str, ...]
    position_columns: tuple[str, ...] = ("source_line",)
    # Columns safe to show in the UI: no names, addresses, identifiers or exact dates.
    preview_columns: tuple[str, ...] = ()
    # File names can carry identifiers (an Apple Health export named by device serial).
    file_names_in_metadata: bool = True

    @property
    def schema(self) -> pa.Schema:
        return pa.schema(
            [pa.field(c, pa.string()) for c in self.columns]
            + [pa.field(c, pa.int64()) for c in self.position_columns]
            + list(PROVENANCE_FIELDS)
        )


@dataclass(frozen=True)
class Delivery:
    day: str
    file: LandingFile
    parse: Parser


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
        self, lakehouse: LakehouseResource, landing: LandingZoneResource, quarantine_table: str
    ) -> None:
        self._lakehouse = lakehouse
        self._landing = landing
        self._storage = lakehouse.storage_options()
        self._quarantine_uri = lakehouse.table_uri("bronze", quarantine_table)
        self._ingested_at = dt.datetime.now(dt.timezone.utc)
        self._rejected: list[dict[str, object]] = []
        self._considered: dict[str, LandingFile] = {}
        self._days: set[str] = set()

    def ingest(
        self, table: BronzeTable, days: list[str], deliveries: list[Delivery]
    ) -> TableReport:
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

        # A first run with nothing delivered still creates the (empty) table for downstream.
        if todo or delta_tables.open_table(uri, self._storage) is None:
            report.version = delta_tables.replace_where(
                uri,
                self._batches(table, todo, report),
                table.schema,
                predicate=self._files_predicate([d.file.relative_path for d in todo], todo)
                if todo
                else "false",
                partition_by=[PARTITION_COLUMN],
                storage_options=self._storage,
            )
        return report

    def commit_quarantine(self) -> QuarantineReport:
        """Replace the quarantine rows of every file this run considered; call it last."""
        reasons: dict[str, Counter[str]] = {day: Counter() for day in sorted(self._days)}
        for row in self._rejected:
            reasons[row["delivery_date"].isoformat()][str(row["reason"])] += 1
        report = QuarantineReport(self._quarantine_uri, None, reasons)
        if self._considered or delta_tables.open_table(self._quarantine_uri, self._storage) is None:
            report.version = delta_tables.replace_where(
                self._quarantine_uri,
                _to_batches(self._rejected, QUARANTINE_SCHEMA),
                QUARANTINE_SCHEMA,
                predicate=self._files_predicate(list(self._considered), None)
                if self._considered
                else "false",
                partition_by=[PARTITION_COLUMN],
                storage_options=self._storage,
            )
        return report

    def _files_predicate(self, paths: list[str], deliveries: list[Delivery] | None) -> str:
        days = sorted({d.day for d in deliveries} if deliveries else self._days)
        return (
            f"{delta_tables.sql_in(PARTITION_COLUMN, days)} AND "
            f"{delta_tables.sql_in('source_file', sorted(paths))}"
        )

    def _ingested_content(self, uri: str, table_name: str) -> dict[str, str]:
        """Content hash → the file whose records it brought, in the table or its quarantine."""
        known: dict[str, str] = {}
        pairs = delta_tables.read_columns(uri, ["source_file_sha256", "source_file"], self._storage)
        if pairs is not None:
            known.update(_first_file_per_hash(pairs))
        quarantined = delta_tables.read_columns(
            self._quarantine_uri,
            ["source_table", "source_file_sha256", "source_file"],
            self._storage,
        )
        if quarantined is not None:
            mine = quarantined.filter(pc.equal(quarantined["source_table"], table_name))
            for digest, path in _first_file_per_hash(mine).items():
                known.setdefault(digest, path)
        return known

    def _batches(
        self, table: BronzeTable, todo: list[Delivery], report: TableReport
    ) -> Iterator[pa.RecordBatch]:
        rows: list[dict[str, object]] = []
        # Content that brought records earlier in this run; an empty file (a header alone)
        # repeats every day and is no re-delivery.
        first_file_of: dict[str, str] = {}
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
                        self._reject(table, result, provenance)
                        counts.rows_quarantined += 1
                        continue
                    row: dict[str, object] = dict(result.values)
                    row.update(_positions(table.position_columns, result.position))
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

    def _reject(self, table: BronzeTable, rejected: Rejected, provenance: dict[str, object]) -> None:
        self._rejected.append(
            {
                "source_table": table.name,
                "source_position": _describe_position(table.position_columns, rejected.position),
                "reason": rejected.reason,
                "raw_text": rejected.raw_text,
                "detail": json.dumps(rejected.detail, sort_keys=True) if rejected.detail else None,
                **provenance,
            }
        )


def _positions(columns: tuple[str, ...], position: tuple[int, ...]) -> dict[str, int | None]:
    padded = tuple(position) + (None,) * (len(columns) - len(position))
    return dict(zip(columns, padded[: len(columns)]))


def _describe_position(columns: tuple[str, ...], position: tuple[int, ...]) -> str:
    """E.g. ``line 17`` or ``message 3, segment 5``."""
    if not position:
        return "whole file"
    return ", ".join(f"{c.removeprefix('source_')} {v}" for c, v in zip(columns, position))


def _first_file_per_hash(pairs: pa.Table) -> dict[str, str]:
    unique = pairs.group_by("source_file_sha256").aggregate([("source_file", "min")])
    return dict(
        zip(unique["source_file_sha256"].to_pylist(), unique["source_file_min"].to_pylist())
    )


def _to_batches(rows: list[dict[str, object]], schema: pa.Schema) -> Iterator[pa.RecordBatch]:
    if rows:
        yield pa.RecordBatch.from_pylist(rows, schema=schema)

"""What a bronze table holds: the source's columns as text, positions, provenance, quarantine.

Shared by the ways a record reaches bronze, the Python parsers on the Dagster worker, the
engine's readers (``bronze_engine``) and the broker's micro-batches (``streaming``), so all
write the same columns in the same order. A row from a file names the file (``source_file``,
its SHA-256) and its position in it; a row from a broker names the topic, partition, offset
and the broker's timestamp instead (``STREAM_PROVENANCE_FIELDS``), and its position within
that one record. A table fed both ways (``BronzeTable.streamed``) has both sets of columns,
the other set null.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pyarrow as pa

from healthcare_dataops.formats.records import Rejected

PARTITION_COLUMN = "delivery_date"
PROVENANCE_FIELDS = (
    pa.field("source_file", pa.string()),
    pa.field("source_file_sha256", pa.string()),
    pa.field(PARTITION_COLUMN, pa.date32()),
    pa.field("ingested_at", pa.timestamp("us", tz="UTC")),
)
STREAM_PROVENANCE_FIELDS = (
    pa.field("source_topic", pa.string()),
    pa.field("source_partition", pa.int64()),
    pa.field("source_offset", pa.int64()),
    pa.field("broker_timestamp", pa.timestamp("us", tz="UTC")),
)
# One schema for every source's quarantine: a record rejected from a file or from a topic.
QUARANTINE_SCHEMA = pa.schema(
    [
        pa.field("source_table", pa.string()),
        pa.field("source_position", pa.string()),
        pa.field("reason", pa.string()),
        pa.field("raw_text", pa.string()),
        pa.field("detail", pa.string()),
        *PROVENANCE_FIELDS,
        *STREAM_PROVENANCE_FIELDS,
    ]
)


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
    # Also fed from a broker topic: the table has the stream provenance columns too.
    streamed: bool = False
    # The delivery day first; a table of many kinds of record may add the kind, so that a
    # reader of one kind reads its own files only.
    partition_by: tuple[str, ...] = (PARTITION_COLUMN,)

    @property
    def schema(self) -> pa.Schema:
        return pa.schema(
            [pa.field(c, pa.string()) for c in self.columns]
            + [pa.field(c, pa.int64()) for c in self.position_columns]
            + list(PROVENANCE_FIELDS)
            + (list(STREAM_PROVENANCE_FIELDS) if self.streamed else [])
        )


def quarantine_row(table: BronzeTable, rejected: Rejected, provenance: dict[str, object]) -> dict[str, object]:
    """The quarantine row of a record a parser rejected: raw text, reason, where it sat."""
    return {
        "source_table": table.name,
        "source_position": describe_position(table.position_columns, rejected.position),
        "reason": rejected.reason,
        "raw_text": rejected.raw_text,
        "detail": json.dumps(rejected.detail, sort_keys=True) if rejected.detail else None,
        **provenance,
    }


def positions(columns: tuple[str, ...], position: tuple[int, ...]) -> dict[str, int | None]:
    padded = tuple(position) + (None,) * (len(columns) - len(position))
    return dict(zip(columns, padded[: len(columns)], strict=True))


def describe_position(columns: tuple[str, ...], position: tuple[int, ...]) -> str:
    """E.g. ``line 17`` or ``message 3, segment 5``."""
    if not position:
        return "whole file"
    return ", ".join(f"{c.removeprefix('source_')} {v}" for c, v in zip(columns, position, strict=False))

"""A micro-batch of broker records → bronze rows and quarantine, exactly once.

Each bronze table records, in the same Delta commit as the rows, the last offset of every
topic partition it holds (an application transaction per partition: ``topics.offset_app_id``,
version = offset). A batch is read from the oldest offset either table still lacks, and each
table takes only the records past its own: so a run killed anywhere (before a commit, between
the table's and the quarantine's, after both) and run again writes every record once, and a
second writer of the same offsets fails its commit (delta-rs refuses a concurrent transaction
of the same application id) instead of duplicating them. The consumer group's committed
offsets are set afterwards for lag monitors, and never read.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import pyarrow as pa
from deltalake import CommitProperties, write_deltalake
from deltalake.transaction import Transaction

from healthcare_dataops.formats.records import ParseResult, Rejected
from healthcare_dataops.lakehouse import delta_tables
from healthcare_dataops.lakehouse.bronze_records import (
    PARTITION_COLUMN,
    QUARANTINE_SCHEMA,
    BronzeTable,
    positions,
    quarantine_row,
)
from healthcare_dataops.streaming.topic_reader import BrokerRecord, TopicRead
from healthcare_dataops.streaming.topics import offset_app_id

# One broker record's value → what its parser makes of it (rows and rejections).
RecordParser = Callable[[bytes], Iterable[ParseResult]]
NO_RECORD = "broker record holds no message"


@dataclass(frozen=True)
class StreamTarget:
    """Where a topic's records go: the bronze table, its quarantine, and their storage."""

    table: BronzeTable
    table_uri: str
    quarantine_uri: str
    storage_options: dict[str, str]


@dataclass
class StreamBatchReport:
    topic: str
    day: str
    records_read: int = 0
    rows_written: int = 0
    rows_quarantined: int = 0
    reasons: Counter[str] = field(default_factory=Counter)
    offsets: dict[int, tuple[int, int]] = field(default_factory=dict)  # partition → (first, last) read
    gaps: dict[int, tuple[int, int]] = field(default_factory=dict)
    version: int | None = None
    quarantine_version: int | None = None


def stored_offsets(
    uri: str, storage_options: dict[str, str], topic: str, partitions: Iterable[int]
) -> dict[int, int | None]:
    """The last offset of each partition the table holds (None: none of it yet)."""
    table = delta_tables.open_table(uri, storage_options)
    return {p: None if table is None else table.transaction_version(offset_app_id(topic, p)) for p in partitions}


def first_unwritten(target: StreamTarget, topic: str, partitions: Iterable[int]) -> dict[int, int | None]:
    """Per partition, the first offset the table or its quarantine lacks (None: the oldest)."""
    parts = list(partitions)
    both = (stored_offsets(target.table_uri, target.storage_options, topic, parts),
            stored_offsets(target.quarantine_uri, target.storage_options, topic, parts))
    start: dict[int, int | None] = {}
    for p in parts:
        last = [stored[p] for stored in both]
        start[p] = None if None in last else min(last) + 1
    return start


def write_batch(target: StreamTarget, read: TopicRead, day: str, parse: RecordParser) -> StreamBatchReport:
    """Rows, then quarantine, of ``read``'s records in ``day``'s partition: two commits, each
    carrying its table's new offsets."""
    topic, partitions = read.topic, sorted({r.partition for r in read.records})
    report = StreamBatchReport(topic, day, records_read=len(read.records), gaps=dict(read.gaps))
    for p in partitions:
        offsets = [r.offset for r in read.records if r.partition == p]
        report.offsets[p] = (min(offsets), max(offsets))
    if not read.records:
        return report
    ingested_at = dt.datetime.now(dt.UTC)
    rows_done = stored_offsets(target.table_uri, target.storage_options, topic, partitions)
    quarantine_done = stored_offsets(target.quarantine_uri, target.storage_options, topic, partitions)
    rows: list[dict[str, object]] = []
    rejected: list[dict[str, object]] = []
    for record in read.records:
        provenance = _provenance(topic, record, day, ingested_at)
        results = list(parse(record.value)) or [Rejected(record.value.decode("utf-8", "replace"), NO_RECORD, (1,))]
        for result in results:
            if isinstance(result, Rejected):
                if _unwritten(record, quarantine_done):
                    rejected.append(quarantine_row(target.table, result, provenance))
                    report.reasons[result.reason] += 1
            elif _unwritten(record, rows_done):
                row: dict[str, object] = dict(result.values)
                row.update(positions(target.table.position_columns, result.position))
                row.update(provenance)
                rows.append(row)
    last = read.last_offsets()
    report.version = _append(target.table_uri, pa.Table.from_pylist(rows, schema=target.table.schema),
                             topic, last, rows_done, target.storage_options)
    report.quarantine_version = _append(target.quarantine_uri, pa.Table.from_pylist(rejected, schema=QUARANTINE_SCHEMA),
                                        topic, last, quarantine_done, target.storage_options)
    report.rows_written, report.rows_quarantined = len(rows), len(rejected)
    return report


def _unwritten(record: BrokerRecord, done: dict[int, int | None]) -> bool:
    last = done.get(record.partition)
    return last is None or record.offset > last


def _provenance(topic: str, record: BrokerRecord, day: str, ingested_at: dt.datetime) -> dict[str, object]:
    return {
        "source_file": None,
        "source_file_sha256": None,
        PARTITION_COLUMN: dt.date.fromisoformat(day),
        "ingested_at": ingested_at,
        "source_topic": topic,
        "source_partition": record.partition,
        "source_offset": record.offset,
        "broker_timestamp": record.timestamp,
    }


def _append(uri: str, rows: pa.Table, topic: str, last: dict[int, int], done: dict[int, int | None],
            storage_options: dict[str, str]) -> int:
    """One commit of ``rows`` (even none: the offsets move all the same) with the new offsets."""
    transactions = [
        Transaction(app_id=offset_app_id(topic, p), version=max(offset, done.get(p) if done.get(p) is not None else -1))
        for p, offset in sorted(last.items())
    ]
    try:
        write_deltalake(
            uri, rows, mode="append", partition_by=[PARTITION_COLUMN], schema_mode="merge",
            storage_options=storage_options,
            # Other partitions' writers may commit meanwhile (retried); a writer of the same
            # offsets is a concurrent transaction of the same application id (refused).
            commit_properties=CommitProperties(app_transactions=transactions, max_commit_retries=25),
        )
    except Exception as error:  # delta-rs raises plain Exceptions for cast errors
        raise delta_tables.DeltaWriteError(f"appending {rows.num_rows} rows of {topic} to {uri}: {error}") from error
    return delta_tables.open_table(uri, storage_options).version()

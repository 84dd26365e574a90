"""Table upkeep: compact the lakehouse's Delta tables and vacuum what they no longer use.

Daily MERGEs and appends leave many small files; compaction rewrites them into few large ones
(one commit, rows unchanged), and vacuum deletes the files no snapshot inside the retention
still reads. Vacuum never deletes a file of a Delta version that a registered model version
holding an alias was trained on: ``lineage.training_rows`` (the drift report's reference)
time-travels to it, and patient_features is overwritten whole on every run, so without that
protection its training snapshot is gone a week later. delta-rs's ``vacuum(keep_versions=...)``
keeps every data file of each listed version's snapshot (not only the files its own commit
added), and nothing of its log: that part is below.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pyarrow as pa
import pyarrow.compute as pc
from deltalake import CommitProperties, DeltaTable, PostCommitHookProperties

from healthcare_dataops.lakehouse import storage
from healthcare_dataops.ml.lineage import FEATURES_URI_TAG, FEATURES_VERSION_TAG

if TYPE_CHECKING:
    from mlflow import MlflowClient
# A step's scratch folder older than this belongs to no run still going: a killed run's.
STALE_STAGING = dt.timedelta(days=1)

# A daily run that commits while a table is compacted is re-checked, not failed.
_COMMIT = CommitProperties(max_commit_retries=25)
# keep_versions protects a version's data files, not its commits. A delta-rs commit that
# writes a checkpoint deletes the log files older than delta.logRetentionDuration (30 days),
# and vacuum's own commits do so whatever hook properties they are given (delta-rs 1.6.6):
# a month-old champion's version would no longer load. The Sail engine never deletes them.
_EXPIRED_LOG_CLEANUP = "delta.enableExpiredLogCleanup"


@dataclass(frozen=True)
class LakehouseTable:
    layer: str
    name: str
    uri: str


@dataclass(frozen=True)
class ProtectedVersion:
    """A Delta version a model version holding ``alias`` was trained on (its lineage tags)."""

    table_uri: str
    delta_version: int
    model: str
    model_version: str
    alias: str


@dataclass(frozen=True)
class TableUpkeep:
    """What compaction and vacuum did to one table; files and bytes of its current snapshot."""

    table: LakehouseTable
    files_before: int
    files_after: int
    bytes_before: int
    bytes_after: int
    rows_before: int
    rows_after: int
    files_compacted: int  # small files the compaction replaced
    files_vacuumed: int  # files deleted from storage
    versions_kept: tuple[int, ...]
    log_cleanup_switched_off: bool  # this run set delta.enableExpiredLogCleanup=false
    seconds: float  # compaction and vacuum
    read_seconds_before: float | None  # a full read of the current snapshot; None: not timed
    read_seconds_after: float | None


def find_tables(root: str, layers: Sequence[str], storage_options: dict[str, str]) -> list[LakehouseTable]:
    """Every Delta table in ``<root>/<layer>/<table>``, layer by layer, names sorted."""
    found = []
    for layer in layers:
        for name in _child_folders(f"{root.rstrip('/')}/{layer}", storage_options):
            uri = f"{root.rstrip('/')}/{layer}/{name}"
            if DeltaTable.is_deltatable(uri, storage_options=storage_options):
                found.append(LakehouseTable(layer, name, uri))
    return found


def model_lineage_versions(client: MlflowClient) -> list[ProtectedVersion]:
    """The Delta version behind every registered model version holding an alias (``champion``,
    ``challenger``, or any other a person set): all of them may be compared, scored or
    promoted again, so the rows each was trained on must stay readable."""
    found = []
    for model in _registered_models(client):
        for alias, version in sorted(model.aliases.items()):
            tags = client.get_model_version(model.name, str(version)).tags
            if FEATURES_URI_TAG in tags and FEATURES_VERSION_TAG in tags:
                found.append(ProtectedVersion(tags[FEATURES_URI_TAG], int(tags[FEATURES_VERSION_TAG]),
                                              model.name, str(version), alias))
    return found


def versions_to_keep(table: LakehouseTable, protected: Iterable[ProtectedVersion]) -> tuple[int, ...]:
    return tuple(sorted({p.delta_version for p in protected if same_table(p.table_uri, table.uri)}))


def same_table(uri: str, other: str) -> bool:
    """Whether two URIs name one table: lineage keeps the URI the lakehouse root gave at
    training time, which may differ in scheme (s3a), a trailing slash or a relative path."""
    return _table_key(uri) == _table_key(other)


def upkeep(table: LakehouseTable, storage_options: dict[str, str], *, retention_hours: int,
           enforce_retention_duration: bool = True, full_vacuum: bool = True,
           keep_versions: Sequence[int] = (), time_reads: bool = True) -> TableUpkeep:
    """Compact ``table``, then vacuum it, keeping every file of ``keep_versions``.

    A full vacuum also deletes files no commit ever named (a crashed writer's), like Delta
    Spark's VACUUM; both kinds only once older than the retention, so an uncommitted write in
    progress is safe. A kept version that can no longer be loaded makes the vacuum fail: it
    never runs without the protection it was asked for. A table with versions to keep keeps
    its whole log from then on (``delta.enableExpiredLogCleanup=false``, set once): a JSON file
    per commit, and checkpoints keep opening it fast.
    """
    rows_before, read_before = _read(table.uri, storage_options, time_reads)
    before = _snapshot_files(table.uri, storage_options)
    started = time.perf_counter()
    delta = DeltaTable(table.uri, storage_options=storage_options)
    switched_off = bool(keep_versions) and _keep_every_commit(delta)
    compaction = delta.optimize.compact(commit_properties=_COMMIT)
    vacuumed = delta.vacuum(
        retention_hours=retention_hours, dry_run=False, enforce_retention_duration=enforce_retention_duration,
        full=full_vacuum, keep_versions=list(keep_versions) or None, commit_properties=_COMMIT,
    )
    seconds = time.perf_counter() - started
    after = _snapshot_files(table.uri, storage_options)
    rows_after, read_after = _read(table.uri, storage_options, time_reads)
    return TableUpkeep(
        table, before.num_rows, after.num_rows, _total(before, "size_bytes"), _total(after, "size_bytes"),
        rows_before, rows_after, int(compaction["numFilesRemoved"]), len(vacuumed), tuple(keep_versions),
        switched_off, round(seconds, 3), read_before, read_after,
    )


def markdown_summary(reports: Sequence[TableUpkeep]) -> str:
    lines = ["| table | files before → after | MB before → after | vacuumed | kept versions "
             "| read s before → after | upkeep s |", "|---|---:|---:|---:|---|---:|---:|"]
    for r in reports:
        kept = ", ".join(map(str, r.versions_kept)) or "–"
        lines.append(f"| {r.table.layer}/{r.table.name} | {r.files_before} → {r.files_after} | "
                     f"{r.bytes_before / 1e6:.2f} → {r.bytes_after / 1e6:.2f} | {r.files_vacuumed} | {kept} | "
                     f"{_seconds(r.read_seconds_before)} → {_seconds(r.read_seconds_after)} | {r.seconds:.2f} |")
    return "\n".join(lines)


def _keep_every_commit(delta: DeltaTable) -> bool:
    """Switches expired-log cleanup off unless it is; True where this call did."""
    if delta.metadata().configuration.get(_EXPIRED_LOG_CLEANUP, "true").lower() == "false":
        return False
    # Its own commit must not be the one that cleans up.
    delta.alter.set_table_properties({_EXPIRED_LOG_CLEANUP: "false"}, commit_properties=_COMMIT,
                                     post_commithook_properties=PostCommitHookProperties(cleanup_expired_logs=False))
    return True


def _read(uri: str, storage_options: dict[str, str], timed: bool) -> tuple[int, float | None]:
    """Rows of the current snapshot, and the seconds a reader takes to open and scan all of it
    (batch by batch: memory stays bounded by a batch, whatever the table's size)."""
    if not timed:
        return _total(_snapshot_files(uri, storage_options), "num_records"), None
    started = time.perf_counter()
    dataset = DeltaTable(uri, storage_options=storage_options).to_pyarrow_dataset()
    rows = sum(batch.num_rows for batch in dataset.to_batches())
    return rows, round(time.perf_counter() - started, 4)


def _snapshot_files(uri: str, storage_options: dict[str, str]) -> pa.Table:
    # From the Delta log: no data file is opened.
    return pa.table(DeltaTable(uri, storage_options=storage_options).get_add_actions(flatten=True))


def _total(files: pa.Table, column: str) -> int:
    return int(pc.sum(files[column]).as_py() or 0) if files.num_rows else 0


def _seconds(value: float | None) -> str:
    return "–" if value is None else f"{value:.3f}"


def _table_key(uri: str) -> str:
    if storage.is_s3(uri):
        return "s3://" + uri.split("://", 1)[1].rstrip("/")
    return os.path.realpath(uri.removeprefix("file://"))


def remove_stale_staging(root: str, *, older_than: dt.timedelta = STALE_STAGING,
                         now: dt.datetime | None = None) -> list[str]:
    """Remove the scratch folders under ``<root>/_staging`` that no run still uses.

    A step removes its own once it has committed; a run killed on the way leaves its folder.
    One is stale once nothing in it changed for ``older_than`` (no step runs that long)."""
    from pyarrow import fs

    staging = f"{root.rstrip('/')}/_staging"
    filesystem, folder = storage.arrow_filesystem(staging)
    cutoff = (now or dt.datetime.now(dt.UTC)) - older_than
    removed = []
    for entry in filesystem.get_file_info(storage.arrow_selector(folder)):
        if entry.type != fs.FileType.Directory:
            continue
        inside = filesystem.get_file_info(fs.FileSelector(entry.path, recursive=True))
        newest = max([i.mtime for i in inside if i.mtime is not None] + [entry.mtime or cutoff])
        if newest.astimezone(dt.UTC) < cutoff:
            filesystem.delete_dir(entry.path)
            removed.append(entry.base_name)
    return sorted(removed)


def _child_folders(uri: str, storage_options: dict[str, str]) -> list[str]:
    from pyarrow import fs

    filesystem, folder = storage.arrow_filesystem(uri)
    return sorted(e.base_name for e in filesystem.get_file_info(storage.arrow_selector(folder))
                  if e.type == fs.FileType.Directory)


def _registered_models(client: MlflowClient):
    page_token = None
    while True:
        page = client.search_registered_models(max_results=100, page_token=page_token)
        yield from page
        page_token = page.token
        if not page_token:
            return

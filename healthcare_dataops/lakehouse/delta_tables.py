"""Idempotent Delta writes with delta-rs, and the few reads the assets need."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence

import pyarrow as pa
from deltalake import CommitProperties, DeltaTable, write_deltalake
from deltalake.exceptions import TableNotFoundError

# Concurrent runs of other partitions commit to the same table; delta-rs re-checks and
# retries a commit whose files do not conflict, so disjoint partitions never fail each other.
_COMMIT = CommitProperties(max_commit_retries=25)


class DeltaWriteError(RuntimeError):
    """A write that delta-rs refused, with the table and what it was asked to do."""


def sql_in(column: str, values: Sequence[str]) -> str:
    quoted = ", ".join("'" + value.replace("'", "''") + "'" for value in values)
    return f"{column} IN ({quoted})"


def replace_batches_where(
    uri: str,
    batches: Iterable[pa.RecordBatch],
    schema: pa.Schema,
    *,
    predicate: str,
    partition_by: Sequence[str],
    storage_options: dict[str, str],
    add_new_columns: bool = False,
) -> int:
    """Atomically replace the rows matching ``predicate`` with ``batches``; return the version.

    One commit: readers see the old rows or the new ones, never both or neither, so a retried
    step cannot duplicate rows. ``add_new_columns``: columns the table lacks are added (older
    rows read them as null) rather than refused.
    """
    reader = pa.RecordBatchReader.from_batches(schema, iter(batches))
    try:
        write_deltalake(
            uri,
            reader,
            mode="overwrite",
            predicate=predicate,
            partition_by=list(partition_by),
            storage_options=storage_options,
            commit_properties=_COMMIT,
            schema_mode="merge" if add_new_columns else None,
        )
    except Exception as error:  # delta-rs raises plain Exceptions for cast errors
        raise DeltaWriteError(f"writing Delta table {uri} where {predicate[:200]}: {error}") from error
    return DeltaTable(uri, storage_options=storage_options).version()


def open_table(uri: str, storage_options: dict[str, str]) -> DeltaTable | None:
    try:
        return DeltaTable(uri, storage_options=storage_options)
    except TableNotFoundError:
        return None


def read_columns(
    uri: str, columns: Sequence[str], storage_options: dict[str, str]
) -> pa.Table | None:
    """The current snapshot's ``columns``, or None where the table does not exist yet."""
    table = open_table(uri, storage_options)
    if table is None:
        return None
    return table.to_pyarrow_dataset().to_table(columns=list(columns))


def read_batches(
    uri: str, columns: Sequence[str], storage_options: dict[str, str]
) -> Iterator[pa.RecordBatch]:
    """The current snapshot's ``columns`` a batch at a time (none where there is no table)."""
    table = open_table(uri, storage_options)
    if table is not None:
        yield from table.to_pyarrow_dataset().to_batches(columns=list(columns))


def read_snapshot(uri: str, storage_options: dict[str, str]):
    """(version, pandas frame) of one snapshot, so what was read can be named exactly."""
    table = open_table(uri, storage_options)
    if table is None:
        raise TableNotFoundError(f"no Delta table at {uri}: materialize the asset that writes it first")
    return table.version(), table.to_pandas()

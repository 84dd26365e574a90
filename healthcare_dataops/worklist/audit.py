"""Every re-identification attempt, allowed or refused, as a row of an audit Delta table: who
(the login proxy's user), when, which pseudonym, and the outcome. Never the MRN itself."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pyarrow as pa
from deltalake import write_deltalake

AUDIT_SCHEMA = pa.schema([
    ("looked_up_at", pa.timestamp("us", tz="UTC")),
    ("user", pa.string()),
    ("roles", pa.string()),
    ("patient_pseudonym", pa.string()),
    # found, not found, refused: <why>
    ("outcome", pa.string()),
])


@dataclass(frozen=True)
class Lookup:
    user: str
    roles: tuple[str, ...]
    patient_pseudonym: str
    outcome: str
    looked_up_at: dt.datetime


def record(uri: str, lookup: Lookup, storage_options: dict[str, str]) -> None:
    """Appended (and committed) before the answer is shown: no lookup goes unrecorded."""
    row = pa.Table.from_pylist([{
        "looked_up_at": lookup.looked_up_at, "user": lookup.user, "roles": ",".join(lookup.roles),
        "patient_pseudonym": lookup.patient_pseudonym, "outcome": lookup.outcome,
    }], schema=AUDIT_SCHEMA)
    write_deltalake(uri, row, mode="append", storage_options=storage_options)

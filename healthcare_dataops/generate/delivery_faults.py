"""Faults in how files arrive, planted after every other fault has rewritten its file: an
empty file, a file in UTF-16, a whole day delivered again, days arriving out of order.

None of them changes a record. Their manifest entries say what bronze should make of them:
an empty file brings no record; a UTF-16 file brings the same records as in UTF-8; a copy of
an earlier day's file is skipped as a re-delivery (its expected counts are 0, the original
keeps its own); out-of-order days are a manifest entry and file times for the tests and the
landing-zone sensor to replay.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil

from .labs import LAB_TABLE
from .ledger import FileRecord
from .record_faults import day_of

DELIVERY = {
    "empty_csv_file": "an EHR file of the last day exported with its header alone",
    "empty_hl7_file": "a 0-byte HL7 file beside a lab's day file",
    "empty_jsonl_file": "a wearable JSON Lines file with no lines",
    "utf16_file": "a lab's HL7 file (else an EHR CSV) in UTF-16 with a byte-order mark",
    "duplicated_day": "the first day's lab and wearable files delivered again in the last day's folders",
    "out_of_order_days": "the third day's files arriving before the second day's",
}
DELIVERY_SKIP_REASONS = {
    "empty_csv_file": "needs an EHR conditions or medications file",
    "empty_hl7_file": "needs a lab file",
    "empty_jsonl_file": "needs a wearable file",
    "utf16_file": "needs a lab or EHR file with records that no other fault edits",
    "duplicated_day": "needs 2 or more days",
    "out_of_order_days": "needs 3 or more days",
}
# Done before the row faults (it removes rows); the rest after them.
BEFORE_ROW_FAULTS = ("empty_csv_file",)


def empty_csv_file(planner, kind: str):
    """The last day's smallest conditions or medications file, as an export that ran empty."""
    files = [r for r in planner.records
             if r.table in ("conditions", "medications") and day_of(r.path) == planner.days[-1]]
    record = min(files, key=lambda r: (r.rows, r.path), default=None)
    if record is None:
        return False
    path = planner.root / record.path
    header = path.read_bytes().split(b"\n", 1)[0] + b"\n"
    path.write_bytes(header)
    fault = planner.add_fault(kind, record, "delivery", DELIVERY[kind], {"line": 1},
                              f"{record.rows} data rows not exported: the header alone", rows_not_exported=record.rows)
    record.rows = 0
    planner.locked.add(record.path)
    return fault


def empty_hl7_file(planner, kind: str, records: list[FileRecord]):
    return _empty_beside(planner, kind, records, LAB_TABLE, ".hl7")


def empty_jsonl_file(planner, kind: str, records: list[FileRecord]):
    return _empty_beside(planner, kind, records, "wearable_readings", ".jsonl")


def _empty_beside(planner, kind, records, table, suffix):
    """A new 0-byte file named as a resend of one of the day's files of ``table``."""
    record = planner.pick([r for r in planner.records if r.table == table and r.path.endswith(suffix)])
    if record is None:
        return False
    path = record.path.removesuffix(suffix) + "_resend" + suffix
    (planner.root / path).write_bytes(b"")
    new = FileRecord(path, table)
    records.append(new)
    return planner.add_fault(kind, new, "delivery", DELIVERY[kind], {"byte_offset": 0}, "0 bytes", beside=record.path)


def utf16_file(planner, kind: str, records: list[FileRecord]):
    """A file no other fault touched, re-encoded as UTF-16 (little-endian, with BOM): a lab
    file where one is left, else an EHR file."""
    # Nor a file another fault copied or moved records from: its entry reads it as UTF-8.
    touched = {f["file"] for f in planner.faults} | {f[k]["file"] for f in planner.faults
                                                     for k in ("copied_from", "moved_from") if k in f}
    free = [r for r in planner.records if r.rows > 0 and r.path not in touched]
    record = planner.pick([r for r in free if r.table == LAB_TABLE]) or planner.pick(
        [r for r in free if r.path.startswith("ehr/")])
    if record is None:
        return False
    path = planner.root / record.path
    path.write_bytes(path.read_bytes().decode("utf-8").encode("utf-16"))
    return planner.add_fault(kind, record, "delivery", DELIVERY[kind], {"byte_offset": 0},
                             "re-encoded from UTF-8 to UTF-16LE with a byte-order mark", encoding="UTF-16LE")


def duplicated_day(planner, kind: str, records: list[FileRecord]):
    """Every lab and wearable data file of the first day copied into the last day's folders.
    EHR and enrollment files are not copied: their names carry no date, so a copy would
    replace the last day's own file rather than arrive beside it."""
    first, last = planner.days[0], planner.days[-1]
    originals = [r for r in planner.records if day_of(r.path) == first
                 and (r.table == LAB_TABLE or r.path.endswith(".jsonl"))]
    if first == last or not originals:
        return False
    copies = {}
    for record in originals:
        copy = record.path.replace(f"/{first}/", f"/{last}/", 1)
        shutil.copyfile(planner.root / record.path, planner.root / copy)
        records.append(FileRecord(copy, record.table))  # skipped by bronze as a re-delivery
        copies[copy] = record.path
    anchor = FileRecord(f"labs/{last}", LAB_TABLE)
    return planner.add_fault(kind, anchor, "delivery", DELIVERY[kind], {"day_folder": last},
                             f"{len(copies)} files of {first} delivered again on {last}", copies=copies,
                             rows_delivered_again=sum(r.rows + r.quarantined for r in originals))


def out_of_order_days(planner, kind: str, records: list[FileRecord]):
    """File times in arrival order, the third day's before the second's; the manifest says the
    order, so a test (or a sensor) can materialize the days as they arrived."""
    days = planner.days
    if len(days) < 3:
        return False
    order = [days[0], days[2], days[1], *days[3:]]
    base = dt.datetime(2000, 1, 1).timestamp()
    for rank, day in enumerate(order):
        for record in records:
            if day_of(record.path) == day:
                os.utime(planner.root / record.path, (base + rank * 3600, base + rank * 3600))
    anchor = FileRecord(f"*/{days[2]}", "")
    return planner.add_fault(kind, anchor, "delivery", DELIVERY[kind], {"arrival_order": order},
                             f"{days[2]} arrived before {days[1]} (file times in that order)",
                             arrival_order=order, early_day=days[2], late_day=days[1])

"""Faults in what records say, planted before the row faults so that those avoid them: a
lab that switches units, a patient deleted from the EHR whose wearable keeps sending, a
reading stamped after its delivery, a device clock hours ahead.

Each rewrites its file at once, keeps line and message numbers as they were (or lowers the
file's row count where rows go), and marks what it used as taken; the wearable files it
edits are locked, so no later fault moves their lines and the positions stay true.
"""

from __future__ import annotations

import csv
import datetime as dt
import re

from healthcare_dataops.landing_layout import EHR_TABLES

from .fault_edits import read_messages
from .lab_catalog import GLUCOSE_MMOL, MG_DL_PER_MMOL_L_GLUCOSE
from .labs import LAB_TABLE, LABS_INFO

RECORD = {
    "lab_unit_change": "a lab switching glucose from mg/dL to mmol/L in a later day's file",
    "patient_deleted": "a patient deleted from the EHR while their wearable keeps sending",
    "future_timestamp": "a wearable reading stamped two days after its delivery day",
    "wearable_clock_ahead": "a device whose clock runs 6 hours ahead for a whole day's file",
}
RECORD_SKIP_REASONS = {
    "lab_unit_change": "needs a glucose result in mg/dL after the first day",
    "patient_deleted": "needs a device enrolled in this run whose readings arrive on its last day",
    "future_timestamp": "needs a heart-rate reading on the last day",
    "wearable_clock_ahead": "needs an enrolled device's readings on the last day",
}
CLOCK_AHEAD_HOURS = 6
_BODY_TIME = re.compile(r'("(?:date_time|start_date_time|end_date_time)":")([^"]+)(")')


def day_of(path: str) -> str:
    return path.split("/")[1]


def lab_unit_change(planner, kind: str):
    """Every mg/dL glucose result of one lab's file, after the first day, in mmol/L."""
    files = [r for r in planner.files(lambda t: t == LAB_TABLE) if day_of(r.path) != planner.days[0]]
    for record in planner.shuffled(files):
        messages = read_messages(planner.root / record.path)
        changed = []
        for m, segments in enumerate(messages, start=1):
            for s, segment in enumerate(segments, start=1):
                fields = segment.split("|")
                code = fields[3].split("^")[0] if segment.startswith("OBX|") else None
                if code in GLUCOSE_MMOL and fields[6].startswith("mg/dL") and m not in planner.taken[record.path]:
                    si = GLUCOSE_MMOL[code]
                    mmol = round(float(fields[5]) / MG_DL_PER_MMOL_L_GLUCOSE, 1)
                    changed.append(
                        {"message": m, "segment": s, "loinc": code, "mg_dl": float(fields[5]), "mmol_l": mmol})
                    fields[5], fields[6], fields[7] = si.text_value(mmol), "mmol/L^mmol/L^UCUM", si.reference_range()
                    segments[s - 1] = "|".join(fields)
        if not changed:
            continue
        planner.taken[record.path].update(c["message"] for c in changed)
        terminator = LABS_INFO[record.path.rsplit("/", 1)[1].split("_")[0]][3]
        _write(planner.root / record.path, "".join("\r".join(m) + terminator for m in messages).encode())
        first = changed[0]
        return planner.add_fault(kind, record, "silver", RECORD[kind],
                                 {"message": first["message"], "segment": first["segment"]},
                                 f"{len(changed)} glucose results from mg/dL to mmol/L (value and range converted)",
                                 converted=changed)
    return False


def patient_deleted(planner, kind: str):
    """A patient removed from every EHR file while their enrolled device keeps sending."""
    enrolled = []
    for record in planner.files(lambda t: t == "device_enrollment"):
        rows = _csv_rows(planner.root / record.path)
        enrolled += [(record, k, row[0], row[1]) for k, row in enumerate(rows[1:], start=1)]
    sending = {planner.device_of(r, b) for r in planner.records
               if r.table == "wearable_readings" and day_of(r.path) == planner.days[-1] for b in r.detail["blocks"]}
    for record, k, device, mrn in planner.shuffled(enrolled):
        if k in planner.taken[record.path] or device not in sending:
            continue
        removed = _remove_patient(planner, mrn)
        planner.taken[record.path].add(k)
        planner.used_devices.add(device)
        return planner.add_fault(kind, record, "silver", RECORD[kind], {"line": k + 1},
                                 f"patient {mrn} removed from the EHR ({sum(removed.values())} rows); "
                                 f"device {device} still enrolled to them and sending",
                                 patient_mrn=mrn, device_id=device, ehr_rows_removed=removed)
    return False


def _remove_patient(planner, mrn: str) -> dict[str, int]:
    removed = {}
    for record in [r for r in planner.records if r.table in EHR_TABLES]:
        path = planner.root / record.path
        lines = path.read_bytes().split(b"\n")
        header = next(csv.reader([lines[0].decode("utf-8")]))
        column = header.index("Id" if record.table == "patients" else "PATIENT")
        keep = [lines[0]] + [line for line in lines[1:] if not line or _field(line, column) != mrn]
        if len(keep) < len(lines):
            removed[record.path] = len(lines) - len(keep)
            record.rows -= removed[record.path]
            _write(path, b"\n".join(keep))
    return removed


def future_timestamp(planner, kind: str):
    """One heart-rate reading of the last day stamped two days later."""
    for record, block in _blocks(planner):
        first, hr = block[0], block[1]
        line = next((n for n in range(first + 1, first + 1 + hr) if n not in planner.taken[record.path]), None)
        if line is None:
            continue
        day = dt.date.fromisoformat(day_of(record.path))
        later = (day + dt.timedelta(days=2)).isoformat()
        _rewrite_lines(planner, record, {line: lambda text, later=later: _BODY_TIME.sub(
            lambda m: m.group(1) + later + m.group(2)[10:] + m.group(3), text)})
        return planner.add_fault(kind, record, "silver", RECORD[kind], {"line": line},
                                 f"effective date_time moved to {later}, two days after the delivery day")
    return False


def wearable_clock_ahead(planner, kind: str):
    """Every reading of one enrolled device in one last-day file, stamped 6 hours late."""
    enrolled = {row[0]: (r.path, k) for r in planner.records if r.table == "device_enrollment"
                for k, row in enumerate(_csv_rows(planner.root / r.path)[1:], start=1)}
    for record, block in _blocks(planner):
        first, hr, steps, spo2 = block
        lines = list(range(first, first + 1 + hr + steps + spo2))
        device = planner.device_of(record, block)
        if planner.taken[record.path] & set(lines) or device not in enrolled or device in planner.used_devices:
            continue
        enrollment, row = enrolled[device]
        if row in planner.taken[enrollment]:
            continue
        planner.taken[enrollment].add(row)  # no row fault may quarantine the enrollment itself
        _rewrite_lines(planner, record, dict.fromkeys(lines, _clock_ahead))
        planner.used_devices.add(device)
        return planner.add_fault(kind, record, "silver", RECORD[kind], {"line": first, "lines": len(lines)},
                                 f"every time of {len(lines)} data points {CLOCK_AHEAD_HOURS} h later; "
                                 "creation_date_time (stamped at sync) unchanged", device_id=device)
    return False


def _clock_ahead(text: str) -> str:
    head, _, body = text.partition('"body":')
    shift = dt.timedelta(hours=CLOCK_AHEAD_HOURS)
    moved = _BODY_TIME.sub(
        lambda m: m.group(1) + (dt.datetime.fromisoformat(m.group(2)) + shift).isoformat() + m.group(3), body)
    return f'{head}"body":{moved}'


def _blocks(planner):
    """(file, device block) pairs of the last day's wearable files, in random order."""
    # Planted before any other fault: the only files locked yet are the ones these faults edit.
    files = [r for r in planner.records if r.table == "wearable_readings" and day_of(r.path) == planner.days[-1]]
    return planner.shuffled([(r, tuple(b)) for r in files for b in r.detail["blocks"] if b[1] >= 1])


def _rewrite_lines(planner, record, edits) -> None:
    path = planner.root / record.path
    lines = path.read_bytes().decode("utf-8").split("\n")
    for number, edit in edits.items():
        lines[number - 1] = edit(lines[number - 1])
        planner.taken[record.path].add(number)
    planner.locked.add(record.path)
    _write(path, "\n".join(lines).encode())


def _csv_rows(path) -> list[list[str]]:
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.reader(handle))


def _field(line: bytes, column: int) -> str | None:
    fields = next(csv.reader([line.decode("utf-8", errors="replace")]))
    return fields[column] if column < len(fields) else None


def _write(path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.part")
    tmp.write_bytes(data)
    tmp.replace(path)

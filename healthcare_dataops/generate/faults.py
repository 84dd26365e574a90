"""Deterministic fault injection into the delivered files, with the manifest entries that
say what was injected where and how bronze counts change.

A record is a CSV data row, a JSON Lines line, or an OBX segment of HL7 (a message
quarantined whole is one quarantined record and its OBX are not rows; so is a garbage line).
"""

from __future__ import annotations

import copy
import re
from collections import defaultdict

import numpy as np

from healthcare_dataops.landing_layout import EHR_TABLES

from . import delivery_faults, fhir_faults, record_faults
from .delivery_faults import DELIVERY, DELIVERY_SKIP_REASONS
from .fault_edits import Edit, apply_csv, apply_hl7, apply_jsonl, read_messages
from .fhir_faults import FHIR_FAULTS, FHIR_SKIP_REASON
from .labs import LAB_TABLE, message_separator
from .ledger import FileRecord
from .record_faults import RECORD, RECORD_SKIP_REASONS
from .seeding import stream

BRONZE = {
    "csv_extra_field": "an EHR row with one field too many",
    "csv_missing_field": "an EHR row cut short",
    "csv_invalid_utf8": "an EHR row with bytes that are not UTF-8",
    "csv_missing_required_column": "an EHR file of a later day whose header lacks a required column",
    "hl7_truncated_message": "a message cut inside its last OBX before OBX-11",
    "hl7_missing_msh": "a message without its MSH segment",
    "hl7_no_pid": "a message without a PID segment",
    "hl7_no_obx": "a message without OBX segments",
    "hl7_garbage_line": "a line of non-HL7 text between messages",
    "jsonl_broken_json": "a truncated JSON line",
    "jsonl_not_a_data_point": "valid JSON that is not an Open mHealth data point",
    "enrollment_extra_field": "a device enrollment row with one field too many",
}
SILVER = {
    "heart_rate_impossible": "a heart rate of 400 beats/min",
    "spo2_impossible": "an oxygen saturation of 130 %",
    "steps_negative": "a negative step count",
    "lab_unknown_unit": "a lab result in a unit no lab uses",
    "duplicate_redelivery": "an earlier day's lab messages delivered again, same MSH-10",
    "late_arrival": "wearable data points from two days earlier in a later day's file",
}
# Record faults (RECORD) are silver-level; delivery faults (DELIVERY) are about files, not rows;
# FHIR faults need the EHR's FHIR export, and "all" takes them only where it is written.
KINDS = tuple(BRONZE) + tuple(SILVER) + tuple(RECORD) + tuple(DELIVERY) + tuple(FHIR_FAULTS)
REQUIRED_COLUMN_DROPPED = {"patients": "BIRTHDATE"}  # other EHR tables lose PATIENT
GARBAGE = "*** INTERFACE ENGINE: CONNECTION RESET BY PEER, RESENDING BATCH ***"
NOT_A_DATA_POINT = '["ping", 1]'
SKIP_REASONS = {
    "duplicate_redelivery": "needs lab messages on an earlier day of the same run",
    "late_arrival": "needs the same vendor's file from two days earlier in the same run (3 or more days)",
    "hl7_missing_msh": "needs a message from a lab whose messages are newline-separated",
    "hl7_garbage_line": "needs a message from a lab whose messages are newline-separated",
    **RECORD_SKIP_REASONS, **DELIVERY_SKIP_REASONS, **dict.fromkeys(FHIR_FAULTS, FHIR_SKIP_REASON),
}
SILVER_VALUES = {"heart_rate_impossible": ("heart-rate", 400), "spo2_impossible": ("oxygen-saturation", 130),
                 "steps_negative": ("step-count", -250)}


def parse_faults(text: str, *, fhir: bool = True) -> tuple[str, ...]:
    """``fhir``: the run writes the FHIR export (its faults are in ``all`` only then)."""
    if text.strip() == "all":
        return KINDS if fhir else tuple(k for k in KINDS if k not in FHIR_FAULTS)
    kinds = tuple(dict.fromkeys(k.strip() for k in text.split(",") if k.strip()))
    unknown = [k for k in kinds if k not in KINDS]
    if unknown:
        raise ValueError(f"unknown fault kind(s) {', '.join(unknown)}; expected 'all' or some of {', '.join(KINDS)}")
    return tuple(k for k in KINDS if k in kinds)


def day_of(record: FileRecord) -> str:
    return record.path.split("/")[1]


def lab_of(record: FileRecord) -> str:
    return record.path.rsplit("/", 1)[1].split("_")[0]


# The device that sent an Open mHealth line (its header's user_id).
USER_ID = re.compile(rb'"user_id":"([^"]+)"')


class Planner:
    def __init__(self, root, records: list[FileRecord], rng: np.random.Generator):
        self.root, self.rng = root, rng
        self.records = sorted(records, key=lambda r: r.path)
        self.days = sorted({day_of(r) for r in records})
        self.edits: dict[str, list[Edit]] = defaultdict(list)
        self.taken: dict[str, set[int]] = defaultdict(set)
        self.locked: set[str] = set()  # files whose every row is already quarantined
        self.by_path = {r.path: r for r in records}
        self.faults: list[dict] = []
        self.skipped: list[dict] = []
        self.used_devices: set[str] = set()
        self._block_devices: dict[str, dict[tuple, str]] = {}

    def device_of(self, record: FileRecord, block) -> str:
        """The device that sent a block of a wearable file: its header's user_id, read once per
        file (no fault edits a header's user_id)."""
        if record.path not in self._block_devices:
            lines = (self.root / record.path).read_bytes().split(b"\n")
            self._block_devices[record.path] = {tuple(b): USER_ID.search(lines[b[0] - 1]).group(1).decode()
                                                for b in record.detail["blocks"]}
        return self._block_devices[record.path][tuple(block)]

    def free_blocks(self, record: FileRecord) -> list:
        """The file's device blocks, less those of devices a record fault already owns: a value
        fault on a deleted patient's device would be caught as unattributable, not for its value."""
        if not self.used_devices:
            return record.detail["blocks"]
        return [b for b in record.detail["blocks"] if self.device_of(record, b) not in self.used_devices]

    def drawing_from(self, rng: np.random.Generator) -> Planner:
        """The same plan (files, taken records, faults) with draws from another stream."""
        twin = copy.copy(self)
        twin.rng = rng
        return twin

    def pick(self, candidates: list):
        return candidates[int(self.rng.integers(len(candidates)))] if candidates else None

    def shuffled(self, candidates: list) -> list:
        return [candidates[k] for k in self.rng.permutation(len(candidates))]

    def add_fault(self, kind: str, record: FileRecord, layer: str, description: str, position: dict,
                  change: str, **extra) -> dict:
        """A fault its own module has already written into the file."""
        fault = {"kind": kind, "layer": layer, "file": record.path, "table": record.table,
                 "description": description, "position": position, "change": change, **extra}
        self.faults.append(fault)
        return fault

    def free_index(self, path: str, low: int, high: int) -> int | None:
        """A record number in [low, high] that no other fault uses."""
        taken = self.taken[path]
        if high - low < 4096:  # small ranges: choose among what is left
            left = [k for k in range(low, high + 1) if k not in taken]
            index = self.pick(left)
        else:
            index = next((k for k in (int(self.rng.integers(low, high + 1)) for _ in range(64)) if k not in taken),
                         None)
        if index is not None:
            taken.add(index)
        return index

    def add(self, kind: str, record: FileRecord, op: str, index: int, payload=None, **extra) -> dict:
        fault = {"kind": kind, "layer": "bronze" if kind in BRONZE else "silver", "file": record.path,
                 "table": record.table, "description": BRONZE.get(kind) or SILVER[kind], **extra}
        self.edits[record.path].append(Edit(op, index, fault, payload))
        self.faults.append(fault)
        return fault

    def files(self, table_test, minimum_rows: int = 1) -> list[FileRecord]:
        """Files of the wanted tables with rows no fault has taken yet."""
        return [r for r in self.records if table_test(r.table) and r.path not in self.locked
                and r.rows >= minimum_rows and (minimum_rows == 0 or r.rows > len(self.taken[r.path]))]

    def plan(self, kind: str) -> None:
        handler = getattr(self, f"_{kind}", None) or (
            self._csv_row if kind.startswith(("csv_", "enrollment_")) else
            self._hl7_message if kind.startswith("hl7_") or kind == "lab_unknown_unit"
            else self._jsonl_line)
        if handler(kind) is False:
            self.skipped.append(
                {"kind": kind, "reason": SKIP_REASONS.get(kind, "no file written by this run can carry it")})

    def _csv_missing_required_column(self, kind):
        later = [r for r in self.files(lambda t: t in EHR_TABLES and t != "patients") if day_of(r) != self.days[0]]
        record = self.pick(later or self.files(lambda t: t in EHR_TABLES and t != "patients"))
        if record is None:
            return False
        column = REQUIRED_COLUMN_DROPPED.get(record.table, "PATIENT")
        self.add(kind, record, "drop_column", 0, column,
                 change=f"column {column} removed from the header and every row")
        self.locked.add(record.path)
        record.quarantined, record.rows = record.quarantined + record.rows, 0

    def _csv_row(self, kind):
        op = {"csv_extra_field": "extra_field", "csv_missing_field": "missing_field",
              "csv_invalid_utf8": "invalid_utf8", "enrollment_extra_field": "extra_field"}[kind]
        tables = {"device_enrollment"} if kind.startswith("enrollment") else (
            {"patients"} if kind == "csv_invalid_utf8" else set(EHR_TABLES))
        record = self.pick(self.files(lambda t: t in tables) or (
            self.files(lambda t: t in EHR_TABLES) if kind == "csv_invalid_utf8" else []))
        index = record and self.free_index(record.path, 1, min(record.rows, 5000))
        if not index:
            return False
        self.add(kind, record, op, index)
        record.rows, record.quarantined = record.rows - 1, record.quarantined + 1

    def _hl7_message(self, kind):
        # Where messages run together with CR only, a missing MSH or a stray line would not
        # be a message boundary a reader could see, so those two go to newline-separated labs.
        newline_only = kind in ("hl7_missing_msh", "hl7_garbage_line")
        least = 2 if kind == "hl7_truncated_message" else 1

        def eligible(r):
            return [m for m, c in enumerate(r.detail["obx_per_message"], start=1)
                    if c >= least and m not in self.taken[r.path]]
        candidates = [r for r in self.files(lambda t: t == LAB_TABLE)
                      if eligible(r) and (message_separator(lab_of(r)) or not newline_only)]
        record = self.pick(candidates)
        if record is None:
            return False
        index = self.pick(eligible(record))
        self.taken[record.path].add(index)
        obx = record.detail["obx_per_message"][index - 1]
        if kind == "hl7_garbage_line":
            self.add(kind, record, "garbage_after", index, GARBAGE, change=f"inserted line {GARBAGE!r}")
            record.quarantined += 1
        elif kind == "lab_unknown_unit":
            self.add(kind, record, "unknown_unit", index, int(self.rng.integers(obx)))
        else:
            op = {"hl7_truncated_message": "truncate", "hl7_missing_msh": "drop_msh", "hl7_no_pid": "drop_pid",
                  "hl7_no_obx": "drop_obx"}[kind]
            self.add(kind, record, op, index)
            lost = 1 if op == "truncate" else obx
            record.rows, record.quarantined = record.rows - lost, record.quarantined + 1

    def _jsonl_line(self, kind):
        schema, value = SILVER_VALUES.get(kind, (None, None))

        def lines_of(block) -> tuple[int, int]:
            """(first line, how many) of the block's lines that can carry this fault."""
            first, hr, steps, spo2 = block
            return {"heart-rate": (first + 1, hr), "step-count": (first + 1 + hr, steps),
                    "oxygen-saturation": (first + 1 + hr + steps, spo2), None: (first, 1 + hr + steps + spo2)}[schema]

        record = self.pick([r for r in self.files(lambda t: t == "wearable_readings")
                            if any(lines_of(b)[1] for b in self.free_blocks(r))])
        if record is None:
            return False
        blocks = [b for b in self.free_blocks(record) if lines_of(b)[1]]
        low, count = lines_of(blocks[int(self.rng.integers(len(blocks)))])
        index = self.free_index(record.path, low, low + count - 1)
        if index is None:
            return False
        if kind == "jsonl_broken_json":
            self.add(kind, record, "truncate", index, change="line cut in half")
            record.rows, record.quarantined = record.rows - 1, record.quarantined + 1
        elif kind == "jsonl_not_a_data_point":
            self.add(kind, record, "insert_after", index, [NOT_A_DATA_POINT],
                     change=f"inserted line {NOT_A_DATA_POINT}")
            record.quarantined += 1
        else:
            self.add(kind, record, "set_value", index, value, change=f"{schema} value set to {value}")

    def _duplicate_redelivery(self, kind):
        labs = [r for r in self.files(lambda t: t == LAB_TABLE, 0) if day_of(r) != self.days[0]]
        pairs = [(t, s) for t in labs for s in self.records if s.table == LAB_TABLE and lab_of(s) == lab_of(t)
                 and day_of(s) < day_of(t) and s.detail["obx_per_message"]]
        pair = self.pick(pairs)
        if pair is None:
            return False
        target, source = pair
        counts = source.detail["obx_per_message"]
        free = [m for m in range(1, len(counts) + 1) if m not in self.taken[source.path]]
        if not free:
            return False
        start = free.index(self.pick(free))
        chosen = free[start:start + 3]
        self.taken[source.path].update(chosen)
        messages = read_messages(self.root / source.path)
        copies = [messages[m - 1] for m in chosen]
        at = int(self.rng.integers(len(target.detail["obx_per_message"]) + 1))
        ids = [segments[0].split("|")[9] for segments in copies]
        self.add(kind, target, "insert_after", at, copies,
                 change=f"{len(copies)} messages of {day_of(source)} delivered again",
                 copied_from={"file": source.path, "messages": chosen, "message_control_ids": ids})
        target.rows += sum(counts[m - 1] for m in chosen)

    def _late_arrival(self, kind):
        days = self.days
        pairs = [(t, self.by_path.get(_shift(t.path, day_of(t), days[days.index(day_of(t)) - 2])))
                 for t in self.files(lambda t: t == "wearable_readings", 0) if days.index(day_of(t)) >= 2]
        pairs = [(t, s) for t, s in pairs if s is not None and any(b[1] >= 5 for b in s.detail["blocks"])]
        pair = self.pick(pairs)
        if pair is None:
            return False
        target, source = pair
        first, hr, _, _ = self.pick([b for b in source.detail["blocks"] if b[1] >= 5])
        begin = first + 1 + int(self.rng.integers(hr - 4))
        lines = list(range(begin, begin + 5))
        if self.taken[source.path] & set(lines):
            return False
        self.taken[source.path].update(lines)
        moved = _read_lines(self.root / source.path, lines)
        at = self.free_index(target.path, 0, target.rows)
        if at is None:
            return False
        self.edits[source.path].append(Edit("remove", begin, {}, len(lines)))
        self.add(kind, target, "insert_after", at, moved, change="5 heart-rate data points synced two days late",
                 moved_from={"file": source.path, "lines": lines})
        source.rows -= len(lines)
        target.rows += len(lines)


def _shift(path: str, day: str, other: str) -> str:
    """The same source's file for another day, e.g. two days earlier."""
    return path.replace(day, other).replace(day.replace("-", ""), other.replace("-", ""))


def _read_lines(path, numbers: list[int]) -> list[str]:
    wanted, found = set(numbers), []
    with open(path, "rb") as handle:
        for number, raw in enumerate(handle, start=1):
            if number in wanted:
                found.append(raw.decode("utf-8").rstrip("\n"))
            if number >= max(numbers):
                break
    return found


def inject_faults(options, records: list[FileRecord]) -> tuple[list[dict], list[dict]]:
    """Record faults first (rewritten at once, so the row faults plan on their result), then
    every row fault is planned before any file changes, then the delivery faults."""
    planner = Planner(options.landing, records, stream(options.seed, "faults", options.first_day, options.days))
    # Their own stream: adding them leaves every other fault where it was.
    own = planner.drawing_from(stream(options.seed, "delivery_faults", options.first_day, options.days))
    first = [k for k in options.faults if k in RECORD or k in delivery_faults.BEFORE_ROW_FAULTS]
    for kind in first:
        handler = getattr(record_faults, kind, None) or getattr(delivery_faults, kind)
        if handler(own, kind) is False:
            planner.skipped.append({"kind": kind, "reason": SKIP_REASONS[kind]})
    for kind in [k for k in options.faults if k in FHIR_FAULTS]:
        for _ in range(options.faults_per_kind):
            if fhir_faults.inject(own, kind) is False:
                planner.skipped.append({"kind": kind, "reason": SKIP_REASONS[kind]})
    # The whole-file fault goes first so that no row fault lands in a file it quarantines.
    row_kinds = [k for k in options.faults if k in BRONZE or k in SILVER]
    for kind in sorted(row_kinds, key=lambda k: k != "csv_missing_required_column"):
        for _ in range(options.faults_per_kind):
            planner.plan(kind)
    for path, edits in sorted(planner.edits.items()):
        record = planner.by_path[path]
        if record.table == LAB_TABLE:
            apply_hl7(options.landing / path, lab_of(record), edits)
        elif record.table == "wearable_readings":
            apply_jsonl(options.landing / path, edits)
        else:
            apply_csv(options.landing / path, edits)
    # Last, and the arrival order last of all: any rewrite would change a file's time.
    for kind in [k for k in DELIVERY if k in options.faults and k not in delivery_faults.BEFORE_ROW_FAULTS]:
        if getattr(delivery_faults, kind)(own, kind, records) is False:
            planner.skipped.append({"kind": kind, "reason": SKIP_REASONS[kind]})
    return sorted(planner.faults, key=lambda f: (f["file"], f["kind"], str(f.get("position")))), planner.skipped

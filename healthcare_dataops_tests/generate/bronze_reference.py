"""A deliberately plain reading of the delivered files by the bronze rules the manifest
assumes, so the tests can check its expected counts independently of the generator:
a record is a CSV data row, a JSON line, or an OBX segment (a message that cannot be read
at all, or a stray line, is one quarantined record)."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

from healthcare_dataops.formats.records import EHR_REQUIRED_COLUMNS, ENROLLMENT_REQUIRED_COLUMNS


def hl7_blocks(raw: bytes) -> list[list[str]]:
    """Messages (as segments) in file order; where messages are newline-separated a line is a
    block, else a block starts at each MSH."""
    text = raw.decode("utf-8")
    if "\n" in text:
        return [[s for s in block.split("\r") if s] for block in text.split("\n") if block.strip("\r")]
    blocks: list[list[str]] = []
    for segment in (s for s in text.split("\r") if s):
        if segment.startswith("MSH|") or not blocks:
            blocks.append([])
        blocks[-1].append(segment)
    return blocks


def count_hl7(raw: bytes) -> tuple[int, int]:
    rows = quarantined = 0
    for block in hl7_blocks(raw):
        kinds = [s[:3] for s in block]
        if kinds[0] != "MSH" or "PID" not in kinds or "OBX" not in kinds:
            quarantined += 1
            continue
        for segment in block:
            if segment.startswith("OBX|"):
                fields = segment.split("|")
                ok = len(fields) > 11 and fields[11] and re.fullmatch(r"-?\d+(\.\d+)?", fields[5])
                rows, quarantined = rows + bool(ok), quarantined + (not ok)
    return rows, quarantined


def count_csv(raw: bytes, required: tuple[str, ...]) -> tuple[int, int]:
    lines = raw.split(b"\n")
    header = next(csv.reader([lines[0].decode("utf-8")]))
    data = [line for line in lines[1:] if line]
    if not set(required) <= {c.lower() for c in header}:
        return 0, len(data)
    rows = 0
    for line in data:
        try:
            fields = next(csv.reader([line.decode("utf-8")]))
        except UnicodeDecodeError:
            continue
        rows += len(fields) == len(header)
    return rows, len(data) - rows


def count_jsonl(raw: bytes) -> tuple[int, int]:
    rows = quarantined = 0
    for line in raw.split(b"\n"):
        if not line:
            continue
        try:
            point = json.loads(line)
            ok = isinstance(point, dict) and "header" in point and "body" in point
        except ValueError:
            ok = False
        rows, quarantined = rows + ok, quarantined + (not ok)
    return rows, quarantined


def count(path: Path, table: str) -> tuple[int, int]:
    raw = path.read_bytes()
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):  # UTF-16 with its mark: bronze decodes it
        raw = raw.decode("utf-16").encode("utf-8")
    if path.suffix == ".hl7":
        return count_hl7(raw)
    if path.suffix == ".jsonl":
        return count_jsonl(raw)
    required = ENROLLMENT_REQUIRED_COLUMNS if table == "device_enrollment" else EHR_REQUIRED_COLUMNS[table]
    return count_csv(raw, required)

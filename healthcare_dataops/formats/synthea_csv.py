"""Synthea EHR CSV exports and device-enrollment CSV files, read row by row.

Columns are mapped by name, case-insensitively, because Synthea versions differ in which
columns they write and in what order; columns this project does not know travel in
``extra_columns`` as JSON so that nothing delivered is lost.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from typing import BinaryIO

from healthcare_dataops.formats.raw_text import BOM, decode, reject
from healthcare_dataops.formats.records import (
    EHR_COLUMNS,
    EHR_REQUIRED_COLUMNS,
    ENROLLMENT_COLUMNS,
    ENROLLMENT_REQUIRED_COLUMNS,
    ParsedRow,
    ParseResult,
)


def parse_synthea_csv(stream: BinaryIO, table: str) -> Iterator[ParseResult]:
    """Rows of one Synthea table (a key of ``EHR_COLUMNS``), e.g. ``patients``."""
    if table not in EHR_COLUMNS:
        raise ValueError(f"unknown Synthea table {table!r}; expected one of {tuple(EHR_COLUMNS)}")
    return _parse_csv(stream, EHR_COLUMNS[table], EHR_REQUIRED_COLUMNS[table])


def parse_enrollment_csv(stream: BinaryIO) -> Iterator[ParseResult]:
    """Rows of a ``device_enrollment.csv`` file."""
    return _parse_csv(stream, ENROLLMENT_COLUMNS, ENROLLMENT_REQUIRED_COLUMNS)


class _LineTape:
    """Hands csv.reader one decoded line at a time and remembers the raw bytes of the lines
    each record took, so that a bad record is quarantined as delivered and the file goes on.

    Lines are decoded one by one (not the stream as a whole) so that bytes that are not
    UTF-8 cost only the record they sit in.
    """

    def __init__(self, stream: BinaryIO) -> None:
        self._stream = stream
        self._line_no = 0
        self._lines: list[bytes] = []
        self._bad_byte: int | None = None

    def __iter__(self) -> _LineTape:
        return self

    def __next__(self) -> str:
        raw = self._stream.readline()
        if not raw:
            raise StopIteration
        self._line_no += 1
        if self._line_no == 1:
            raw = raw.removeprefix(BOM)
        text, err = decode(raw)
        if err is not None and self._bad_byte is None:
            self._bad_byte = sum(map(len, self._lines)) + err.start
        self._lines.append(raw)
        return text

    def take(self) -> tuple[int, bytes, int | None]:
        """The record just read: its first line number, its bytes, its first non-UTF-8 byte."""
        taken = (self._line_no - len(self._lines) + 1, b"".join(self._lines), self._bad_byte)
        self._lines, self._bad_byte = [], None
        return taken


def _records(stream: BinaryIO) -> Iterator[tuple[int, bytes, int | None, list[str] | str]]:
    """(first line, raw bytes, first bad byte, fields or a CSV error) per non-blank record."""
    tape = _LineTape(stream)
    reader = csv.reader(tape)
    while True:
        try:
            fields: list[str] | str = next(reader)
        except StopIteration:
            return
        except csv.Error as err:  # e.g. a quote never closed: the field-size limit ends it
            fields = f"row is not valid CSV: {err}"
        line_no, raw, bad_byte = tape.take()
        if raw.strip():
            yield line_no, raw, bad_byte, fields


def _parse_csv(
    stream: BinaryIO, columns: tuple[str, ...], required: tuple[str, ...]
) -> Iterator[ParseResult]:
    records = _records(stream)
    header_record = next(records, None)
    if header_record is None:
        return
    header, problem = _read_header(header_record, required)
    # Rows rejected for their header carry it, so that the header can be fixed and replayed.
    header_text = decode(header_record[1].rstrip(b"\r\n"))[0]
    for line_no, raw, bad_byte, fields in records:
        position = (line_no,)
        raw_line = raw.rstrip(b"\r\n")
        if problem:
            yield reject(raw_line, problem, position, header=header_text)
        elif bad_byte is not None:
            yield reject(raw_line, f"not valid UTF-8 at byte {bad_byte}", position)
        elif isinstance(fields, str):
            yield reject(raw_line, fields, position)
        elif len(fields) != len(header):
            reason = f"row has {len(fields)} fields, header has {len(header)}"
            yield reject(raw_line, reason, position)
        else:
            yield ParsedRow(_values(header, fields, columns), position)


def _read_header(
    record: tuple[int, bytes, int | None, list[str] | str], required: tuple[str, ...]
) -> tuple[list[str], str | None]:
    """The header's column names, and why no row can be used when it is unusable."""
    _, _, bad_byte, fields = record
    if bad_byte is not None:
        return [], f"header is not valid UTF-8 at byte {bad_byte}: columns cannot be mapped"
    if isinstance(fields, str):
        return [], f"header {fields.removeprefix('row ')}: columns cannot be mapped"
    header = [name.strip() for name in fields]
    present = {name.lower() for name in header}
    missing = [name.upper() for name in required if name not in present]
    if missing:
        plural = "s" if len(missing) > 1 else ""
        return header, f"header lacks required column{plural} {', '.join(missing)}"
    return header, None


def _values(
    header: list[str], fields: list[str], columns: tuple[str, ...]
) -> dict[str, str | None]:
    values: dict[str, str | None] = dict.fromkeys(columns)
    known = set(columns)
    extra: dict[str, str | None] = {}
    for name, field in zip(header, fields):
        value = field if field != "" else None
        key = name.lower()
        if key in known:
            values[key] = value
            known.discard(key)  # a repeated column keeps its first value; the rest is extra
        else:
            extra[name] = value
    values["extra_columns"] = json.dumps(extra, ensure_ascii=False) if extra else None
    return values

"""Synthea CSV read a line at a time: the reference reading of ``synthea_csv``.

This is how ``parse_synthea_csv`` read every file before it read blocks of lines: each line
decoded on its own and handed to ``csv.reader``, and each row's values found field by field.
It is kept as it was, as the reading the block reading must match exactly:
``reference=True`` selects it, and the parity tests compare the two. The header is read
here for both (``read_header``): that is once per file.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from typing import BinaryIO

from healthcare_dataops.formats.raw_text import BOM, decode, reject
from healthcare_dataops.formats.records import ParsedRow, ParseResult

# (first line, raw bytes, first non-UTF-8 byte, fields or the CSV error) of one record.
Record = tuple[int, bytes, int | None, list[str] | str]


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


def _records(stream: BinaryIO) -> Iterator[Record]:
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


def parse_csv_line_by_line(
    stream: BinaryIO, columns: tuple[str, ...], required: tuple[str, ...]
) -> Iterator[ParseResult]:
    records = _records(stream)
    header_record = next(records, None)
    if header_record is None:
        return
    header, problem = read_header(header_record, required)
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


def read_header(record: Record, required: tuple[str, ...]) -> tuple[list[str], str | None]:
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
    for name, field in zip(header, fields, strict=True):
        value = field if field != "" else None
        key = name.lower()
        if key in known:
            values[key] = value
            known.discard(key)  # a repeated column keeps its first value; the rest is extra
        else:
            extra[name] = value
    values["extra_columns"] = json.dumps(extra, ensure_ascii=False) if extra else None
    return values

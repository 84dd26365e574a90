"""Synthea EHR CSV exports and device-enrollment CSV files, read row by row.

Columns are mapped by name, case-insensitively, because Synthea versions differ in which
columns they write and in what order; columns this project does not know travel in
``extra_columns`` as JSON so that nothing delivered is lost.

A file is read a block of whole lines at a time (``csv_blocks``), decoded in one call. In a
block with no quote, no ``\\r`` but in ``\\r\\n`` and no line over the csv field-size limit,
each line is split on its commas, which is exactly what ``csv.reader`` makes of such a line;
a block with quotes is read by one ``csv.reader`` over its lines. Whatever else there is
goes to ``csv.reader`` record by record, from the line the record starts on, exactly as the
line-at-a-time reference (``synthea_csv_lines``) reads it: a line of the wrong width, a
blank line, a record that may run on into the next block, a block that is not all UTF-8,
and every row under a header that cannot be used. A row's values come from a column
mapping compiled once per header, not looked up field by field.

What stays identical to the reference (``reference=True``; the parity tests compare them on
real exports, faulty generated feeds, edge cases and random mutations, at block sizes down
to one byte): the rows, their values and the order of their keys, ``extra_columns`` JSON
and its key order, positions (the first line of a record, quoted newlines counted), every
rejection's reason, raw text and detail (header, hex of bytes that are not UTF-8), blank
lines skipped, the byte-order mark dropped, and nothing yielded for an empty or header-only
file. It takes about a third of the reference's time per row; most of what remains is
making the row's strings, its dict and its ``ParsedRow``.
"""

from __future__ import annotations

import csv
import functools
import json
from collections.abc import Callable, Iterator
from itertools import chain, islice, repeat
from typing import BinaryIO

from healthcare_dataops.formats.csv_blocks import Block, BlockTape
from healthcare_dataops.formats.raw_text import decode, reject
from healthcare_dataops.formats.records import (
    EHR_COLUMNS,
    EHR_REQUIRED_COLUMNS,
    ENROLLMENT_COLUMNS,
    ENROLLMENT_REQUIRED_COLUMNS,
    ParsedRow,
    ParseResult,
)
from healthcare_dataops.formats.synthea_csv_lines import Record, parse_csv_line_by_line, read_header

Values = dict[str, str | None]
# json.dumps(..., ensure_ascii=False) builds this encoder on every call.
_TO_JSON = json.JSONEncoder(ensure_ascii=False).encode


def parse_synthea_csv(
    stream: BinaryIO, table: str, *, reference: bool = False
) -> Iterator[ParseResult]:
    """Rows of one Synthea table (a key of ``EHR_COLUMNS``), e.g. ``patients``.

    ``reference`` reads the file a line at a time, as the parity tests compare.
    """
    if table not in EHR_COLUMNS:
        raise ValueError(f"unknown Synthea table {table!r}; expected one of {tuple(EHR_COLUMNS)}")
    parse = parse_csv_line_by_line if reference else _parse_csv
    return parse(stream, EHR_COLUMNS[table], EHR_REQUIRED_COLUMNS[table])


def parse_enrollment_csv(stream: BinaryIO, *, reference: bool = False) -> Iterator[ParseResult]:
    """Rows of a ``device_enrollment.csv`` file."""
    parse = parse_csv_line_by_line if reference else _parse_csv
    return parse(stream, ENROLLMENT_COLUMNS, ENROLLMENT_REQUIRED_COLUMNS)


def _parse_csv(
    stream: BinaryIO, columns: tuple[str, ...], required: tuple[str, ...]
) -> Iterator[ParseResult]:
    # Chained, not yielded from: each row goes from the block's loop to the caller directly.
    return chain.from_iterable(_block_results(BlockTape(stream), columns, required))


def _block_results(
    tape: BlockTape, columns: tuple[str, ...], required: tuple[str, ...]
) -> Iterator[Iterator[ParseResult]]:
    rows: _RowReader | None = None
    for block in tape.blocks():
        if rows is None:
            header_record = next(_records(tape, block), None)
            if header_record is None:
                continue  # blank lines so far
            rows = _RowReader(header_record, columns, required)
        yield rows.read(tape, block)


def _records(tape: BlockTape, block: Block) -> Iterator[Record]:
    """The non-blank records that start in ``block`` from ``tape.next_line`` on, read by
    csv.reader."""
    for index in range(tape.next_line - block.first_line, len(block.lines)):
        if block.first_line + index < tape.next_line:
            continue  # taken by a record of several lines
        record = tape.record(block, index)
        if record is None:
            return
        if record[1].strip():
            yield record


class _RowReader:
    """The rows of a file under its header, a block at a time."""

    def __init__(self, header_record: Record, columns: tuple[str, ...], required: tuple[str, ...]):
        header, self._problem = read_header(header_record, required)
        # Rows rejected for their header carry it, so that the header can be fixed and replayed.
        self._header_text = decode(header_record[1].rstrip(b"\r\n"))[0]
        self._width = len(header)
        self._values = _values_function(tuple(header), columns)
        self._field_limit = csv.field_size_limit()

    def read(self, tape: BlockTape, block: Block) -> Iterator[ParseResult]:
        # A blank line is one field (or none) to csv.reader and to a split, but no record: a
        # header of one column must leave every line to the record by record reading.
        if self._width < 2:
            return map(self._result, _records(tape, block))
        if block.reads_as_split_lines(self._field_limit):
            return self._split_block(tape, block, self._problem is None)
        return self._csv_block(tape, block, self._problem is None)

    def _split_block(
        self, tape: BlockTape, block: Block, rows_as_read: bool
    ) -> Iterator[ParseResult]:
        """The results of a block whose lines csv.reader would read as split on commas, split
        in C. Each line is a whole record (there are no quotes); with ``rows_as_read`` a line
        of the header's width is a row, and every other line is judged.

        A blank line splits into one empty field, where csv.reader finds none or one: both
        are skipped, as blank, before their fields count.
        """
        values, width, first_line = self._values, self._width, block.first_line
        start = tape.next_line - first_line  # lines before it: a record's from an earlier block
        lines = map(str.split, block.split_lines()[start:], repeat(","))
        for index, fields in enumerate(lines, start):
            if rows_as_read and len(fields) == width:
                yield ParsedRow(values(fields), (first_line + index,))
            elif (record := block.record(index, index + 1, fields))[1].strip():
                yield self._result(record)
        tape.next_line = max(tape.next_line, block.end_line)  # a record may have run past it

    def _csv_block(
        self, tape: BlockTape, block: Block, rows_as_read: bool
    ) -> Iterator[ParseResult]:
        """The results of a block read by one csv.reader over its lines; a record that reaches
        the block's last line may go on in the next block, so the tape reads that one again.

        ``rows_as_read``: a record of the header's width is a row, unless a line of it is not
        UTF-8; otherwise (the header is unusable) every record is judged.
        """
        values, width, first_line = self._values, self._width, block.first_line
        bad_lines = block.bad_bytes
        start = base = tape.next_line - first_line
        end = len(block.lines)
        reader = csv.reader(islice(block.lines, base, None))
        while True:
            try:
                fields: list[str] | str = next(reader)
            except StopIteration:
                break
            except csv.Error as err:  # as the tape reads it
                fields = f"row is not valid CSV: {err}"
            stop = base + reader.line_num  # the record's lines end before this one
            if stop == end:
                break
            if (rows_as_read and not isinstance(fields, str) and len(fields) == width
                    and not (bad_lines and bad_lines.keys() & range(start, stop))):
                yield ParsedRow(values(fields), (first_line + start,))
            elif (record := block.record(start, stop, fields))[1].strip():
                yield self._result(record)
            start = stop
        tape.next_line = first_line + start
        yield from map(self._result, _records(tape, block))

    def _result(self, record: Record) -> ParseResult:
        line_no, raw, bad_byte, fields = record
        position = (line_no,)
        raw_line = raw.rstrip(b"\r\n")
        if self._problem:
            return reject(raw_line, self._problem, position, header=self._header_text)
        if bad_byte is not None:
            return reject(raw_line, f"not valid UTF-8 at byte {bad_byte}", position)
        if isinstance(fields, str):
            return reject(raw_line, fields, position)
        if len(fields) != self._width:
            reason = f"row has {len(fields)} fields, header has {self._width}"
            return reject(raw_line, reason, position)
        return ParsedRow(self._values(fields), position)


@functools.lru_cache(maxsize=64)  # a feed's files share a header: compile it once
def _values_function(
    header: tuple[str, ...], columns: tuple[str, ...]
) -> Callable[[list[str]], Values]:
    """A row's values from its fields, by a column mapping made once for the header.

    A known column takes the field of its first place in the header; every other header
    name (a repeated known one too) goes to ``extra_columns``, where a repeated name keeps
    its first place and its last value, as a dict would. An empty field is absent (None).

    The mapping is compiled, as ``namedtuple`` and ``dataclasses`` compile theirs, into one
    dict display with constant keys: ``{'date': fields[0] or None, ...}``. That is built in a
    single step, twice as fast as filling a copy of a template from ``zip``, and it is most
    of a row's cost. The keys are this project's column names, the rest are field indexes:
    nothing from the file becomes code.
    """
    known, extra = _column_places(header, columns)
    items = [
        f"{column!r}: fields[{known[column]}] or None" if column in known else f"{column!r}: None"
        for column in columns
    ]
    items.append("'extra_columns': extra_json(fields)" if extra else "'extra_columns': None")
    namespace = {"extra_json": _extra_json(extra)}
    exec(f"def values(fields):\n    return {{{', '.join(items)}}}\n", namespace)
    return namespace["values"]


def _column_places(
    header: tuple[str, ...], columns: tuple[str, ...]
) -> tuple[dict[str, int], dict[str, int]]:
    """Where each known column is in the header, and where each other name is (its last)."""
    wanted = set(columns)
    known: dict[str, int] = {}
    extra: dict[str, int] = {}
    for place, name in enumerate(header):
        key = name.lower()
        if key in wanted and key not in known:
            known[key] = place
        else:
            extra[name] = place
    return known, extra


def _extra_json(extra: dict[str, int]) -> Callable[[list[str]], str]:
    def extra_json(fields: list[str]) -> str:
        return _TO_JSON({name: fields[place] or None for name, place in extra.items()})

    return extra_json

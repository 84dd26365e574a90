"""Delivered line-oriented files → one engine row per record line, with file and line number.

The engine has no reader that keeps a line's file and number (Sail has no ``input_file_name``
and no corrupt-record column), so a small DataFrame of files goes through ``mapInArrow``: on
the engine's workers each file is read in blocks, cut into lines by pyarrow and emitted as
Arrow batches, never whole in memory. The lines are the reference parsers' lines exactly:
split on ``\\n``, a UTF-8 byte-order mark dropped from line 1, ASCII whitespace stripped as
``bytes.strip`` does, blank lines skipped (they keep their numbers); files in UTF-16 or
UTF-32 with a mark are decoded first (``formats/encodings.py``). A line that is not UTF-8
keeps its bytes, for the reference parser to quarantine with them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from healthcare_dataops.formats import encodings
from healthcare_dataops.formats.raw_text import BOM
from healthcare_dataops.lakehouse import storage

BLOCK_BYTES = 4 << 20
# bytes.strip()'s whitespace; Unicode spaces stay, as they do for the reference parsers.
ASCII_WHITESPACE = " \t\n\r\x0b\x0c"

FILES_SCHEMA = pa.schema([
    pa.field("file_index", pa.int32()),
    pa.field("uri", pa.string()),
    pa.field("source_file", pa.string()),
    pa.field("source_file_sha256", pa.string()),
    pa.field("delivery_date", pa.date32()),
])
# Lines name their file by its index: the file's path and hash join back on the engine, rather
# than travel from Python once per line.
LINES_SCHEMA = pa.schema([
    pa.field("file_index", pa.int32()),
    pa.field("source_record", pa.int64()),
    # The line; null where it is not UTF-8, and then its (stripped) bytes are in line_bytes.
    pa.field("line_text", pa.string()),
    pa.field("line_bytes", pa.binary()),
])
LINES_DDL = "file_index int, source_record long, line_text string, line_bytes binary"


def files_table(files: list[tuple[str, str, str, str]]) -> pa.Table:
    """(uri, relative path, sha256, delivery day) of each file → the reader's input table."""
    uris, paths, digests, days = zip(*files, strict=True) if files else ((), (), (), ())
    return pa.Table.from_arrays(
        [pa.array(range(len(uris)), pa.int32()), pa.array(uris, pa.string()), pa.array(paths, pa.string()),
         pa.array(digests, pa.string()),
         pa.array([dt.date.fromisoformat(d) for d in days], pa.date32())],
        schema=FILES_SCHEMA,
    )


def read_lines(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    """``mapInArrow`` function: file rows (FILES_SCHEMA) → line rows (LINES_SCHEMA), every
    line stripped as ``bytes.strip`` strips (``records`` then drops the blank ones)."""
    for batch in batches:
        for file in batch.to_pylist():
            yield from _file_lines(file)


def read_lines_and_documents(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    """``read_lines``, but a file whose name ends in ``.json`` is one document, one record of its
    whole text (line 1): a pretty-printed FHIR bundle is one record over many lines."""
    for batch in batches:
        for file in batch.to_pylist():
            if file["uri"].lower().endswith(".json"):
                yield from _document(file)
            else:
                yield from _file_lines(file)


def _document(file: dict) -> Iterator[pa.RecordBatch]:
    filesystem, path = storage.arrow_filesystem(file["uri"])
    with filesystem.open_input_stream(path) as raw:
        head = raw.read(4)
        declared = encodings.declared_encoding(head)
        whole = encodings.decoded(head, raw, declared).read() if declared else head + raw.read()
    yield _batch(file, 0, pa.array([whole.removeprefix(BOM)], pa.binary()))


def records(lines: DataFrame) -> DataFrame:
    """The lines that hold a record: the blank ones dropped."""
    return lines.where((F.length("line_text") > 0) | F.col("line_bytes").isNotNull())


def _file_lines(file: dict) -> Iterator[pa.RecordBatch]:
    filesystem, path = storage.arrow_filesystem(file["uri"])
    with filesystem.open_input_stream(path) as raw:
        head = raw.read(4)
        declared = encodings.declared_encoding(head)
        if declared:  # UTF-16/32: decoded in Python, a rare delivery
            read = encodings.decoded(head, raw, declared).read
        else:  # straight from the file, a block a read
            blocks = iter([head + raw.read(BLOCK_BYTES)])
            read = lambda size: next(blocks, None) or raw.read(size)  # noqa: E731
        numbered, pending, first_block = 0, b"", True
        while True:
            block = read(BLOCK_BYTES)
            if first_block:
                block, first_block = block.removeprefix(BOM), False
            if block:  # complete lines only: the part after the last \n waits for the next block
                cut = block.rfind(b"\n")
                if cut < 0:
                    pending += block
                    continue
                lines = _split(pending + block[:cut] if pending else memoryview(block)[:cut])
                pending = block[cut + 1:]
            else:  # the end: a last line without its \n is a line too, as readline reads it
                if not pending:
                    return
                lines, pending = _split(pending), b""
            yield _batch(file, numbered, lines)
            numbered += len(lines)


def _split(data) -> pa.Array:
    """The lines of ``data`` (bytes, or a view of a block: not copied) as a binary array."""
    whole = pa.py_buffer(data)
    offsets = pa.py_buffer(np.array([0, whole.size], dtype=np.int32))
    one = pa.Array.from_buffers(pa.binary(), 1, [None, offsets, whole])
    return pc.split_pattern(one, b"\n").flatten()


def _batch(file: dict, before: int, lines: pa.Array) -> pa.RecordBatch:
    count = len(lines)
    numbers = pa.array(np.arange(before + 1, before + count + 1, dtype=np.int64))
    try:
        text, raw = lines.cast(pa.string()), pa.nulls(count, pa.binary())
    except pa.ArrowInvalid:  # some line is not UTF-8: find which, and keep those as bytes
        decoded = [_decoded(line) for line in lines.to_pylist()]
        text = pa.array([d for d, _ in decoded], pa.string())
        raw = pa.array([b for _, b in decoded], pa.binary())
    # Stripped here, in Arrow, not by the engine's trim: Sail's cluster mode cannot ship trim
    # with characters to its workers ("no UDF found for btrim").
    text = pc.utf8_trim(text, ASCII_WHITESPACE)
    index = pa.array(np.full(count, file["file_index"], dtype=np.int32))
    return pa.RecordBatch.from_arrays([index, numbers, text, raw], schema=LINES_SCHEMA)


def _decoded(line: bytes) -> tuple[str | None, bytes | None]:
    try:
        return line.decode("utf-8"), None
    except UnicodeDecodeError:
        return None, line.strip()

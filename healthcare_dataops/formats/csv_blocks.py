"""A delivered CSV file as blocks of whole lines, read exactly as the line-at-a-time
reference (``synthea_csv_lines``) reads it, but with the per-line work done in C.

A block is decoded in one call; only a block that is not all UTF-8 is decoded line by line,
so that its bad bytes cost only the records they sit in. Lines end at ``\\n`` alone, as
``readline`` ends them (a lone ``\\r`` stays inside the line, for ``csv.reader`` to reject).
"""

from __future__ import annotations

import csv
import io
from collections import deque
from collections.abc import Iterator
from typing import BinaryIO

from healthcare_dataops.formats.raw_text import BOM, decode
from healthcare_dataops.formats.synthea_csv_lines import Record

# Big enough that per-block work vanishes, small enough that a block and its lines stay far
# below a megabyte (files are streamed, never held whole).
BLOCK_BYTES = 64 * 1024


class Block:
    """Whole lines of a file: ``lines`` as text with their line endings, as csv.reader reads
    them, and the delivered bytes of each (``raw``)."""

    def __init__(
        self,
        first_line: int,
        text: str | None,
        line_count: int,
        raw_lines: list[bytes] | None = None,
        lines: list[str] | None = None,
        bad_bytes: dict[int, int] | None = None,
    ) -> None:
        self.first_line = first_line  # 1-based number of lines[0]
        self.text = text  # the block decoded whole; None when it is not all UTF-8
        self.end_line = first_line + line_count  # the number of the line after the block
        self._raw_lines = raw_lines  # only when not all UTF-8
        self._lines = lines
        self.bad_bytes = bad_bytes or {}  # line index → its first byte that is not UTF-8

    @property
    def is_utf8(self) -> bool:
        return self.text is not None

    @property
    def lines(self) -> list[str]:
        if self._lines is None:  # most blocks never need them: see split_lines
            self._lines = io.StringIO(self.text, newline="\n").readlines()  # at "\n" only
        return self._lines

    def raw(self, index: int) -> bytes:
        # UTF-8 decoding is exact both ways: a line of a UTF-8 block is its text encoded.
        return self.lines[index].encode() if self._raw_lines is None else self._raw_lines[index]

    def reads_as_split_lines(self, field_limit: int) -> bool:
        """Whether csv.reader reads every line as the line split on commas: all UTF-8, no
        quote, no ``\\r`` but in ``\\r\\n``, and no field over the field-size limit."""
        text = self.text
        return (
            text is not None
            and '"' not in text
            and ("\r" not in text or text.count("\r") == text.count("\r\n"))
            and len(text) <= field_limit
        )

    def split_lines(self) -> list[str]:
        """The lines without their line endings (for a block that reads as split lines)."""
        text = self.text.replace("\r\n", "\n") if "\r" in self.text else self.text
        lines = text.split("\n")
        if text.endswith("\n"):
            lines.pop()
        return lines

    def record(self, start: int, stop: int, fields: list[str] | str) -> Record:
        """The record of lines ``start`` to ``stop`` (not included)."""
        if self._raw_lines is None:
            return (self.first_line + start, "".join(self.lines[start:stop]).encode(), None, fields)
        raw = b"".join(self._raw_lines[start:stop])
        bad_byte = _first_bad_byte([(self, index) for index in range(start, stop)])
        return (self.first_line + start, raw, bad_byte, fields)


class BlockTape:
    """The file's blocks in order, and ``record``, which reads one record with csv.reader
    from the line it starts on, into as many following blocks as it takes.

    ``next_line`` is the first line that no record has read yet; readers that read a block's
    lines themselves move it on when they are done with the block.
    """

    def __init__(self, stream: BinaryIO) -> None:
        self._source = _blocks(stream)
        self._ahead: deque[Block] = deque()  # read by a record that ran past its block
        self._reader = csv.reader(self)
        self._block = Block(1, "", 0)
        self._index = 0
        self._taken: list[tuple[Block, int]] = []
        self.next_line = 1

    def blocks(self) -> Iterator[Block]:
        while True:
            block = self._ahead.popleft() if self._ahead else next(self._source, None)
            if block is None:
                return
            yield block

    def record(self, block: Block, index: int) -> Record | None:
        """The record starting at ``block.lines[index]``; None when the file ended first."""
        self._block, self._index, self._taken = block, index, []
        try:
            fields: list[str] | str = next(self._reader)
        except StopIteration:
            return None
        except csv.Error as err:  # e.g. a quote never closed: the field-size limit ends it
            fields = f"row is not valid CSV: {err}"
        finally:
            self.next_line = self._block.first_line + self._index
        raw = b"".join(taken.raw(line) for taken, line in self._taken)
        return (block.first_line + index, raw, _first_bad_byte(self._taken), fields)

    def __iter__(self) -> BlockTape:
        return self

    def __next__(self) -> str:
        """The next line for csv.reader (the tape is its input)."""
        while self._index >= len(self._block.lines):
            self._block, self._index = self._following_block(), 0
        self._taken.append((self._block, self._index))
        self._index += 1
        return self._block.lines[self._index - 1]

    def _following_block(self) -> Block:
        # Always a block not read yet: a record that runs past its block is the last to start
        # before the blocks it reads, so the next record starts after them.
        block = next(self._source, None)
        if block is None:
            raise StopIteration
        self._ahead.append(block)
        return block


def _first_bad_byte(taken: list[tuple[Block, int]]) -> int | None:
    """Where in the record of these lines its first byte that is not UTF-8 is."""
    offset = 0
    for block, index in taken:
        if index in block.bad_bytes:
            return offset + block.bad_bytes[index]
        offset += len(block.raw(index))
    return None


def _blocks(stream: BinaryIO) -> Iterator[Block]:
    first_line = 1
    for data in _whole_lines(stream):
        block = _decoded(data, first_line)
        first_line = block.end_line
        yield block


def _whole_lines(stream: BinaryIO) -> Iterator[bytes]:
    """The stream's bytes in pieces that end at a line end (the file's last may not), with
    the first line's byte-order mark removed."""
    pending: list[bytes] = []
    first = True
    while chunk := stream.read(BLOCK_BYTES):
        cut = chunk.rfind(b"\n") + 1
        if not cut:  # a line longer than a block, or a short read
            pending.append(chunk)
            continue
        data = b"".join([*pending, chunk[:cut]])
        pending = [chunk[cut:]]
        yield data.removeprefix(BOM) if first else data
        first = False
    data = b"".join(pending)
    if data:
        yield data.removeprefix(BOM) if first else data


def _decoded(data: bytes, first_line: int) -> Block:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return _decoded_line_by_line(data, first_line)
    unended = bool(text) and not text.endswith("\n")  # the file's last line
    return Block(first_line, text, text.count("\n") + unended)


def _decoded_line_by_line(data: bytes, first_line: int) -> Block:
    raw_lines = io.BytesIO(data).readlines()  # at b"\n" only
    lines, bad_bytes = [], {}
    for index, raw in enumerate(raw_lines):
        text, err = decode(raw)
        lines.append(text)
        if err is not None:
            bad_bytes[index] = err.start
    return Block(first_line, None, len(lines), raw_lines, lines, bad_bytes)

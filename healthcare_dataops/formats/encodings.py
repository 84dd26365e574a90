"""Files delivered in another Unicode encoding than UTF-8, read as the UTF-8 the parsers expect.

Only an encoding the file declares with a byte-order mark is decoded: UTF-16 and UTF-32
(either byte order). Without a mark nothing can tell latin-1 from cp1252 or any other 8-bit
code page, so such bytes stay as they are and the parsers quarantine every record they
touch ("not valid UTF-8 at byte N"), raw bytes kept as hex: nothing is guessed, nothing lost.
"""

from __future__ import annotations

import codecs
import io
from typing import BinaryIO

# Longest first: the UTF-32 LE mark begins with the UTF-16 LE one.
MARKS = (
    (codecs.BOM_UTF32_LE, "utf-32-le", "UTF-32LE"),
    (codecs.BOM_UTF32_BE, "utf-32-be", "UTF-32BE"),
    (codecs.BOM_UTF16_LE, "utf-16-le", "UTF-16LE"),
    (codecs.BOM_UTF16_BE, "utf-16-be", "UTF-16BE"),
)
_CHUNK = 64 * 1024


class _AsUtf8(io.RawIOBase):
    """The UTF-8 bytes of a stream in another encoding, decoded incrementally."""

    def __init__(self, stream: BinaryIO, codec: str) -> None:
        self._stream = stream
        # strict: a file that says it is UTF-16 but is not must fail loudly, not turn into U+FFFD.
        self._decoder = codecs.getincrementaldecoder(codec)(errors="strict")
        self._pending = b""
        self._done = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        while not self._pending and not self._done:
            chunk = self._stream.read(_CHUNK)
            self._done = not chunk
            self._pending = self._decoder.decode(chunk, final=self._done).encode("utf-8")
        taken = self._pending[: len(buffer)]
        buffer[: len(taken)] = taken
        self._pending = self._pending[len(taken):]
        return len(taken)


def as_utf8(stream: BinaryIO) -> tuple[BinaryIO, str | None]:
    """``stream`` as UTF-8, and the encoding its byte-order mark declared (None: as delivered)."""
    head = stream.read(4)
    declared = declared_encoding(head)
    if declared is None:
        return io.BufferedReader(_Chain(head, stream)), None
    return decoded(head, stream, declared), declared


def declared_encoding(head: bytes) -> str | None:
    """The encoding a file's first four bytes declare by a byte-order mark (None: none)."""
    return next((name for mark, _, name in MARKS if head.startswith(mark)), None)


def decoded(head: bytes, stream: BinaryIO, declared: str) -> BinaryIO:
    """The UTF-8 of a stream whose first bytes ``head`` (already read) declared ``declared``."""
    mark, codec = next((mark, codec) for mark, codec, name in MARKS if name == declared)
    rest = io.BufferedReader(_Chain(head[len(mark):], stream))
    return io.BufferedReader(_AsUtf8(rest, codec))


class _Chain(io.RawIOBase):
    """Bytes already read from a stream, then the rest of it."""

    def __init__(self, head: bytes, stream: BinaryIO) -> None:
        self._head, self._stream = head, stream

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        if self._head:
            taken, self._head = self._head[: len(buffer)], self._head[len(buffer):]
        else:
            taken = self._stream.read(len(buffer))
        buffer[: len(taken)] = taken
        return len(taken)

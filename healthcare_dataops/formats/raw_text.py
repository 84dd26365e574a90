"""Turning delivered bytes into text without losing the bytes that are not text."""

from __future__ import annotations

from healthcare_dataops.formats.records import Rejected

BOM = b"\xef\xbb\xbf"


def decode(raw: bytes) -> tuple[str, UnicodeDecodeError | None]:
    """The UTF-8 text of ``raw``, and the decoding error when it is not all UTF-8.

    Bad bytes become U+FFFD so that the text can still be stored; the error says where
    (``err.start`` is the 0-based offset of the first bad byte, as in a hex dump).
    """
    try:
        return raw.decode("utf-8"), None
    except UnicodeDecodeError as err:
        return raw.decode("utf-8", errors="replace"), err


def reject(
    raw: bytes | str, reason: str, position: tuple[int, ...], **detail: str
) -> Rejected:
    """A Rejected record for ``raw``; bytes that are not UTF-8 also travel as hex."""
    if isinstance(raw, str):
        return Rejected(raw, reason, position, detail)
    text, err = decode(raw)
    return Rejected(text, reason, position, {**detail, "raw_hex": raw.hex()} if err else detail)

"""Apple Health ``export.xml``: one wearable reading per top-level ``<Record>``.

Records inside a ``<Correlation>`` also appear at the top level (Apple's DTD says so), so
only top-level Records are read; Workout, ActivitySummary, Me and ExportDate are not
readings. Exports run to gigabytes, so the file is parsed incrementally and every element
is dropped once read.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from typing import BinaryIO

from healthcare_dataops.formats.raw_text import reject
from healthcare_dataops.formats.records import WEARABLE_READING_COLUMNS, ParsedRow, ParseResult

try:  # defusedxml refuses entity declarations (billion laughs) and external entities
    from defusedxml import DefusedXmlException as _Refused
    from defusedxml.ElementTree import iterparse as _iterparse

    _GUARD_ENTITIES = False
except ImportError:  # stdlib expat never fetches external entities; refuse declared ones
    from xml.etree.ElementTree import iterparse as _iterparse

    class _Refused(ValueError):  # type: ignore[no-redef]
        """An XML construct refused for safety."""

    _GUARD_ENTITIES = True

_MAX_READ = 64 * 1024


def parse_apple_health(stream: BinaryIO, *, device_id: str | None = None) -> Iterator[ParseResult]:
    """Readings (WEARABLE_READING_COLUMNS) of an Apple Health export; ``device_id`` is the
    enrolled device the export came from. Position is the 1-based index of the Record."""
    tape = _Tape(stream)
    count = depth = 0
    root = None
    try:
        for event, element in _iterparse(tape, events=("start", "end")):
            if event == "start":
                depth += 1
                if root is None:
                    root = element
                continue
            depth -= 1
            if depth != 1:
                continue
            tape.mark()
            if element.tag == "Record":
                count += 1
                yield ParsedRow(_values(element, device_id), (count,))
            root.clear()  # drop what has been read so that memory stays flat
    except ET.ParseError as err:
        rest = tape.unparsed_rest(err.position)
        if rest.strip() or tape.marked:
            yield reject(rest, f"XML is not well-formed: {err}", (count + 1,))
    except _Refused as err:
        entity = f" {err.name!r}" if getattr(err, "name", None) else ""
        reason = f"XML declares entity{entity}: entity declarations are refused for safety"
        yield reject(tape.unparsed_rest(None), reason, (count + 1,))


def _values(record: ET.Element, device_id: str | None) -> dict[str, str | None]:
    attributes = record.attrib
    record.tail = None  # the whitespace after it is not part of it
    values: dict[str, str | None] = dict.fromkeys(WEARABLE_READING_COLUMNS)
    values.update(
        device_id=device_id,
        source_format="apple_health",
        measure=attributes.get("type") or None,
        value=attributes.get("value") or None,
        unit=attributes.get("unit") or None,
        acquisition_source_name=attributes.get("sourceName") or None,
        creation_date_time=attributes.get("creationDate") or None,
        start_date_time=attributes.get("startDate") or None,
        end_date_time=attributes.get("endDate") or None,
        raw_record=ET.tostring(record, encoding="unicode"),
    )
    return values


class _Tape:
    """Hands the parser one line per read and keeps the lines not yet known to be parsed,
    so that a well-formedness error quarantines the unparsed rest of the file and no more.

    Lines go in one at a time so that an element's end event is known to lie in the line
    just read; what came before that line has been parsed and is let go.
    """

    def __init__(self, stream: BinaryIO) -> None:
        self._stream = stream
        self._kept: list[bytes] = []
        self._first_line = 1  # the line number _kept starts on
        self._next_line = 1
        self.marked = False  # whether any top-level element was parsed

    def read(self, size: int = -1) -> bytes:
        chunk = self._stream.readline(_MAX_READ)
        if _GUARD_ENTITIES and b"<!ENTITY" in chunk:
            raise _Refused("<!ENTITY declaration")
        if chunk:
            self._kept.append(chunk)
            self._next_line += chunk.count(b"\n")
        return chunk

    def mark(self) -> None:
        """A top-level element ended in the chunk just read."""
        last = self._kept[-1]
        self._first_line = self._next_line - last.count(b"\n")
        self._kept = [last]
        self.marked = True

    def unparsed_rest(self, error_at: tuple[int, int] | None) -> bytes:
        """The file from where parsing failed: the whole file if no element was parsed,
        else from the line after the last parsed element, or from the tag in error when it
        sits on that same line."""
        data = b"".join(self._kept) + self._stream.read()
        if not self.marked:
            return data
        first_line_end = data.find(b"\n") + 1 or len(data)
        if error_at and error_at[0] == self._first_line:
            # Expat counts columns in characters; back up to the start of the broken tag.
            line = data[:first_line_end].decode("utf-8", errors="replace")
            tag_start = line.rfind("<", 0, error_at[1] + 1)
            head = line[: tag_start if tag_start >= 0 else error_at[1]]
            return data[len(head.encode("utf-8")):]
        return data[first_line_end:]

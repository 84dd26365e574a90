"""HL7 v2 lab result files (ORU^R01, OUL^R22, ...): one row per OBX segment.

A file may hold many messages. It is read line by line (``\\r``, ``\\n`` or ``\\r\\n`` end a
segment) and cut into messages here, because the ``hl7`` library parses one message at a
time and must not see a whole file at once. Position is ``(message, line within it)``; for a
clean message the line is the segment number (MSH = 1). Lines before the first MSH count
as lines of the first message.

The ``hl7`` library is the reference reading of a message, but ``hl7.parse`` builds a
container for every field, component and subcomponent and ``str()`` joins them back, which
was 95 % of the time of a lab feed (about 2,000 OBX rows/s). Bronze keeps fields as
delivered, so ``hl7v2_split`` reads them by splitting the text instead, 13 to 20 times
faster. It must give exactly the values the library gives (same MSH numbering, same
separators, same whitespace stripping, same first PID), and so exactly the same rows and
rejections; a message it cannot prove it reads the same way goes to the library.
``reference=True`` reads every message with the library, so the parity tests can compare.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

import hl7

from healthcare_dataops.formats.hl7v2_split import SplitMessage, split_message
from healthcare_dataops.formats.raw_text import BOM, reject
from healthcare_dataops.formats.records import ParsedRow, ParseResult, Rejected

_CHUNK = 64 * 1024
_LINE_END = re.compile(rb"\r\n|\r|\n")
# A message cut short and written without a segment terminator runs into the next MSH.
_GLUED_MSH = re.compile(rb"(?<=.)(?=MSH\|\^~\\&)")
_MSH_START = b"MSH|^~\\&"
_SEGMENT_ID = re.compile(r"[A-Z][A-Z0-9]{2}")
# Batch and file envelopes wrap messages but carry no results.
_WRAPPERS = frozenset({"FHS", "BHS", "BTS", "FTS"})
_MLLP_FRAMING = b"\x0b\x1c"


@dataclass(frozen=True)
class _Line:
    raw: bytes
    text: str
    segment_id: str | None  # None: not a segment at all
    problem: str | None = None


def parse_hl7_file(stream: BinaryIO, *, reference: bool = False) -> Iterator[ParseResult]:
    """One ParsedRow (LAB_RESULT_COLUMNS) per OBX segment of every message in the file.

    A message starts at each MSH. A blank line also ends one, and so does a PID after the
    message's results: a lost MSH must not attach the next patient's results to this
    message's header. Lines that are not segments are rejected one by one as they come.
    ``reference`` reads every message with the hl7 library, never by splitting its text.
    """
    number = index = 0  # the message being read, and its last line
    segments: list[tuple[int, _Line]] = []
    separator = "|"
    for raw in _physical_lines(stream):
        raw = raw.strip(_MLLP_FRAMING).removeprefix(BOM)
        line = _classify(raw, separator) if raw.strip() else None
        if line is None or _ends_message(line.segment_id, segments):
            yield from _message_results(number, segments, reference)
            segments, index = [], 0
        if line is None or line.segment_id in _WRAPPERS:
            continue
        if index == 0:
            number += 1  # this line opens the next message
        index += 1
        if line.problem:
            yield reject(line.raw, line.problem, (number, index))
            continue
        if line.segment_id == "MSH":
            separator = line.text[3:4] or "|"
        segments.append((index, line))
    yield from _message_results(number, segments, reference)


def _physical_lines(stream: BinaryIO) -> Iterator[bytes]:
    pending = b""
    while chunk := stream.read(_CHUNK):
        pending += chunk
        # Hold back a final \r: the \n of a \r\n may come with the next chunk.
        cut = len(pending) - 1 if pending.endswith(b"\r") else len(pending)
        *lines, rest = _LINE_END.split(pending[:cut])
        pending = rest + pending[cut:]
        for line in lines:
            yield from _unglued(line)
    for line in _LINE_END.split(pending) if pending else []:
        yield from _unglued(line)


def _unglued(line: bytes) -> list[bytes]:
    """The line cut before every MSH that does not start it."""
    # The regex tries its lookbehind at every byte (4 µs a line); a plain search is 10 times
    # quicker and finds the same MSH, since a line holds no newline for the `.` to miss.
    return _GLUED_MSH.split(line) if line.find(_MSH_START, 1) >= 0 else [line]


def _classify(raw: bytes, separator: str) -> _Line:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        return _Line(raw, "", None, f"segment is not valid UTF-8 at byte {err.start}")
    segment_id = text[:3]
    if segment_id == "MSH" or (
        _SEGMENT_ID.fullmatch(segment_id) and text[3:4] in ("", separator)
    ):
        return _Line(raw, text, segment_id)
    return _Line(raw, text, None, "line is not an HL7 segment: no segment ID followed by '|'")


def _ends_message(segment_id: str | None, segments: list[tuple[int, _Line]]) -> bool:
    """Whether this segment cannot belong to the message whose ``segments`` are read so far."""
    if segment_id in _WRAPPERS or (segment_id == "MSH" and segments):
        return True
    if segment_id != "PID" or not segments or segments[0][1].segment_id != "MSH":
        return False
    return any(line.segment_id == "OBX" for _, line in segments)


def _message_results(
    number: int, segments: list[tuple[int, _Line]], reference: bool
) -> Iterator[ParseResult]:
    if not segments:
        return
    whole = "\r".join(line.text for _, line in segments)
    problem = header_problem(segments[0][1].text)
    if problem is None:
        message = None if reference else split_message(whole)
        if message is None:
            try:
                message = hl7.parse(whole)
            except (hl7.ParseException, IndexError, ValueError) as err:
                problem = f"message cannot be parsed: {err}"
    ids = {line.segment_id for _, line in segments}
    # A bare "PID" line (no field at all) names no patient either; the library finds no PID in it.
    if problem is None and not any(line.segment_id == "PID" and len(line.text) > 3 for _, line in segments):
        problem = "no PID segment: results cannot be attributed to a patient"
    if problem is None and "OBX" not in ids:
        problem = "no OBX segment: the message carries no results"
    if problem:
        yield Rejected(whole, problem, (number, segments[0][0]))
    else:
        yield from _obx_results(number, message, segments)


def header_problem(text: str) -> str | None:
    """Why the first segment is not an MSH this parser can read separators from."""
    if not text.startswith("MSH"):
        return f"no MSH segment: the message starts with {text[:3]}"
    if len(text) < 8:
        return "MSH segment is too short to hold its separator characters"
    separator = text[3]
    if separator.isalnum() or separator.isspace():
        return f"MSH-1 field separator {separator!r} is not a separator character"
    if len(text.split(separator)) < 3:
        # The library would read the MSH's own text as its fields (sending application "MSH").
        return "MSH segment holds no field after MSH-2: no sender, time or control id to read"
    encoding = text[4:].split(separator, 1)[0]
    if (
        len(encoding) not in (4, 5)
        or len(set(encoding + separator)) != len(encoding) + 1
        or any(c.isalnum() or c.isspace() for c in encoding)
    ):
        return f"MSH-2 encoding characters {encoding!r} are not 4 distinct separators"
    return None


def _obx_results(
    number: int, message: SplitMessage | hl7.Message, segments: list[tuple[int, _Line]]
) -> Iterator[ParseResult]:
    if isinstance(message, hl7.Message):
        message = _library_reading(message)
    seps = message.separators  # segment, field, repetition, component, subcomponent
    msh = message.msh
    pid = message.first_pid  # the first one, for an OBX placed before any PID
    obr = None
    for (index, line), segment in zip(segments, message.segments, strict=False):
        kind = str(segment[0])
        if kind == "PID":
            pid, obr = segment, None
        elif kind == "OBR":
            obr = segment
        elif kind == "OBX":
            position = (number, index)
            if _field(segment, 3) is None:
                reason = "OBX segment has no OBX-3 observation identifier"
                yield Rejected(line.text, reason, position)
            elif _field(segment, 11) is None:
                reason = "OBX segment has no OBX-11 result status: the message may be truncated"
                yield Rejected(line.text, reason, position)
            else:
                yield ParsedRow(_values(msh, pid, obr, segment, seps, line.text), position)


def _library_reading(message: hl7.Message) -> SplitMessage:
    """The library's message in the shape of a split one: its segments are ``hl7.Segment``s
    instead of lists of field strings, and ``str(segment[n])`` is field ``n`` of both."""
    return SplitMessage(
        message.separators, message, message.segment("MSH"), message.segment("PID")
    )


def _values(msh, pid, obr, obx, seps: str, raw_segment: str) -> dict[str, str | None]:
    identifier, units = _field(obx, 3), _field(obx, 6)
    return {  # in LAB_RESULT_COLUMNS order
        "message_control_id": _field(msh, 10),
        "message_type": _field(msh, 9),
        "hl7_version": _field(msh, 12),
        "sending_application": _field(msh, 3),
        "sending_facility": _field(msh, 4),
        "message_datetime": _field(msh, 7),
        "patient_identifiers": _field(pid, 3),
        "patient_mrn": medical_record_number(_field(pid, 3), seps),
        "patient_name": _field(pid, 5),
        "patient_birth_date": _field(pid, 7),
        "patient_sex": _field(pid, 8),
        "placer_order_number": _field(obr, 2),
        "filler_order_number": _field(obr, 3),
        "universal_service_id": _field(obr, 4),
        "order_observation_datetime": _field(obr, 7),
        "obx_set_id": _field(obx, 1),
        "value_type": _field(obx, 2),
        "observation_identifier": identifier,
        "observation_code": _component(identifier, 1, seps),
        "observation_text": _component(identifier, 2, seps),
        "coding_system": _component(identifier, 3, seps),
        "observation_sub_id": _field(obx, 4),
        "observation_value": _field(obx, 5),
        "units": units,
        "units_code": _component(units, 1, seps),
        "reference_range": _field(obx, 7),
        "abnormal_flags": _field(obx, 8),
        "result_status": _field(obx, 11),
        "observation_datetime": _field(obx, 14),
        "raw_segment": raw_segment,
    }


def _field(segment, number: int) -> str | None:
    """Field ``number`` of the segment as delivered (escapes kept), None when empty.

    ``segment`` is an ``hl7.Segment`` or a split one's list of field strings: ``str()`` of
    an item of either is the field's text."""
    if segment is None:
        return None
    try:
        return str(segment[number]) or None
    except IndexError:
        return None


def _component(field: str | None, number: int, seps: str) -> str | None:
    """Component ``number`` of the field's first repetition."""
    if field is None:
        return None
    components = field.split(seps[2], 1)[0].split(seps[3])
    return (components[number - 1] or None) if number <= len(components) else None


def medical_record_number(identifiers: str | None, seps: str) -> str | None:
    """The ID of the PID-3 repetition typed MR (medical record number), else of the first."""
    if identifiers is None:
        return None
    repetitions = [rep.split(seps[3]) for rep in identifiers.split(seps[2])]
    chosen = next((rep for rep in repetitions if rep[4:5] == ["MR"]), repetitions[0])
    return chosen[0] or None

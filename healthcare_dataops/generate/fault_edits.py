"""Rewriting a delivered file so it carries its injected faults, in one pass per file.

Edits name records by their place in the file as first written (data row, line, message);
the pass fills in where each fault ended up in the delivered file: ``line`` (1-based, the
CSV header is line 1) or ``message``/``segment`` (1-based; a garbage line between messages
counts as a message of its own), and ``byte_offset`` of the record's first byte.
"""

from __future__ import annotations

import csv
import io
import os
import re
from dataclasses import dataclass
from pathlib import Path

from .labs import LABS_INFO, message_separator

BAD_BYTES = b"\xff\xfe"
_PLACEHOLDER = "@@NOT-UTF8@@"
UNKNOWN_UNIT = "mg/furlong^mg/furlong^UCUM"
_BODY_VALUE = re.compile(rb'("body":\{"[a-z_]+":\{"value":)-?[0-9.]+')


@dataclass
class Edit:
    op: str
    index: int  # original data row (CSV), line (JSONL) or message (HL7), 1-based; 0 = before all
    fault: dict  # the manifest entry; ``position`` is filled in when the edit is applied
    payload: object = None


def _replace(path: Path, chunks) -> None:
    tmp = path.with_name(f".{path.name}.part")
    with open(tmp, "wb") as out:
        for chunk in chunks:
            out.write(chunk)
    os.replace(tmp, path)


def _fields(text: str) -> list[str]:
    return next(csv.reader([text.rstrip("\n")]))


def _csv_line(fields: list[str]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow(fields)
    return buffer.getvalue()


def _text_column(header: list[str]) -> int:
    for name in ("FIRST", "DESCRIPTION", "DEVICE_MODEL", "VALUE"):
        if name in header:
            return header.index(name)
    return len(header) - 1


def apply_csv(path: Path, edits: list[Edit]) -> None:
    by_row = {e.index: e for e in edits if e.op != "drop_column"}
    drop = next((e for e in edits if e.op == "drop_column"), None)

    def chunks():
        offset, header, dropped = 0, [], None
        with open(path, "rb") as source:
            for number, raw in enumerate(source, start=1):
                text = raw.decode("utf-8")
                if number == 1:
                    header = _fields(text)
                if drop:
                    fields = _fields(text)
                    dropped = header.index(drop.payload) if dropped is None else dropped
                    del fields[dropped]
                    raw = _csv_line(fields).encode()
                    if number == 1:
                        drop.fault["position"] = {"line": 1, "byte_offset": 0, "column": drop.payload}
                edit = by_row.get(number - 1)
                if edit:
                    raw = _edit_row(edit, header, _fields(text))
                    edit.fault["position"] = {"line": number, "byte_offset": offset}
                yield raw
                offset += len(raw)

    _replace(path, chunks())


def _edit_row(edit: Edit, header: list[str], fields: list[str]) -> bytes:
    column = _text_column(header)
    value = fields[column]
    if edit.op == "extra_field":  # a comma inside a value that nobody quoted
        head, _, tail = value.partition(" ")
        fields[column:column + 1] = [head, tail]
        edit.fault["change"] = f"unquoted comma in {header[column]}: {value!r} split into two fields " \
                               f"({len(fields)} fields, header has {len(header)})"
        return _csv_line(fields).encode()
    if edit.op == "missing_field":
        keep = max(1, len(fields) // 2)
        edit.fault["change"] = f"row cut short after field {keep} of {len(header)}"
        return _csv_line(fields[:keep]).encode()
    if edit.op == "invalid_utf8":
        fields[column] = value[:2] + _PLACEHOLDER + value[2:]
        edit.fault["change"] = f"bytes FF FE (not UTF-8) inserted into {header[column]}"
        return _csv_line(fields).encode().replace(_PLACEHOLDER.encode(), BAD_BYTES)
    raise ValueError(edit.op)


def apply_jsonl(path: Path, edits: list[Edit]) -> None:
    removed = {e.index + k for e in edits if e.op == "remove" for k in range(e.payload)}
    inserts = {e.index: e for e in edits if e.op == "insert_after"}
    changes = {e.index: e for e in edits if e.op in ("truncate", "set_value")}

    def chunks():
        state = {"offset": 0, "line": 0}

        def emit(raw: bytes, edit: Edit | None = None):
            state["line"] += 1
            if edit and "position" not in edit.fault:
                edit.fault["position"] = {"line": state["line"], "byte_offset": state["offset"]}
            state["offset"] += len(raw)
            return raw

        def inserted(index: int):
            edit = inserts.get(index)
            for text in edit.payload if edit else ():
                yield emit(text.encode() + b"\n", edit)
            if edit:
                edit.fault["position"]["lines"] = len(edit.payload)

        yield from inserted(0)
        with open(path, "rb") as source:
            for number, raw in enumerate(source, start=1):
                if number not in removed:
                    edit = changes.get(number)
                    if edit and edit.op == "truncate":
                        raw = raw[: len(raw) // 2] + b"\n"
                    elif edit:
                        raw = _BODY_VALUE.sub(lambda m: m.group(1) + str(edit.payload).encode(), raw, count=1)  # noqa: B023
                    yield emit(raw, edit)
                yield from inserted(number)

    _replace(path, chunks())


def split_messages(text: str) -> list[list[str]]:
    messages: list[list[str]] = []
    for segment in re.split(r"[\r\n]+", text):
        if segment.startswith("MSH|") or not messages:
            messages.append([])
        if segment:
            messages[-1].append(segment)
    return [m for m in messages if m]


def read_messages(path: Path) -> list[list[str]]:
    return split_messages(path.read_bytes().decode("utf-8"))


def apply_hl7(path: Path, lab: str, edits: list[Edit]) -> None:
    terminator, separator = LABS_INFO[lab][3], message_separator(lab)
    messages = read_messages(path)
    by_message: dict[int, list[Edit]] = {}
    for edit in edits:
        by_message.setdefault(edit.index, []).append(edit)
    pieces, state = [], {"offset": 0, "message": 0}

    def emit(text: str, edit: Edit | None = None, segment: int = 1):
        state["message"] += 1
        if edit:
            edit.fault["position"] = {"message": state["message"], "segment": segment, "byte_offset": state["offset"]}
        pieces.append(text.encode())
        state["offset"] += len(pieces[-1])

    def after(index: int):
        for edit in by_message.get(index, ()):
            if edit.op == "garbage_after":
                emit(edit.payload + "\n", edit)
            elif edit.op == "insert_after":
                for k, copied in enumerate(edit.payload):
                    emit("\r".join(copied) + terminator, edit if k == 0 else None)
                edit.fault["position"]["messages"] = len(edit.payload)

    after(0)
    for number, segments in enumerate(messages, start=1):
        edit = next((e for e in by_message.get(number, ()) if e.op not in ("garbage_after", "insert_after")), None)
        if edit is None:
            emit("\r".join(segments) + terminator)
        else:
            segments, segment, cut = _edit_message(edit, segments)
            ending = (("\r" if not separator else "") + separator) if cut else terminator
            emit("\r".join(segments) + ending, edit, segment)
        after(number)
    _replace(path, pieces)


def _edit_message(edit: Edit, segments: list[str]) -> tuple[list[str], int, bool]:
    """The edited segments, the 1-based segment the fault sits at, and whether it was cut."""
    obx = [k for k, s in enumerate(segments) if s.startswith("OBX|")]
    if edit.op == "truncate":  # cut inside the last OBX, after OBX-7, so OBX-11 is lost
        last = obx[-1]
        fields = segments[last].split("|")
        edit.fault["change"] = f"message cut inside OBX {len(obx)} after OBX-7; OBX-8.. missing"
        return segments[:last] + ["|".join(fields[:8])], last + 1, True
    if edit.op == "drop_msh":
        edit.fault["change"] = "MSH segment removed; message starts with PID"
        return segments[1:], 1, False
    if edit.op == "drop_pid":
        k = next(k for k, s in enumerate(segments) if s.startswith("PID|"))
        edit.fault["change"] = "PID segment removed"
        return segments[:k] + segments[k + 1:], k + 1, False
    if edit.op == "drop_obx":
        edit.fault["change"] = f"all {len(obx)} OBX segments removed"
        return [s for s in segments if not s.startswith("OBX|")], obx[0] + 1, False
    if edit.op == "unknown_unit":
        k = obx[edit.payload % len(obx)]
        fields = segments[k].split("|")
        edit.fault["change"] = f"OBX-6 {fields[6]!r} replaced by {UNKNOWN_UNIT!r} ({fields[3].split('^')[0]})"
        fields[6] = UNKNOWN_UNIT
        return segments[:k] + ["|".join(fields)] + segments[k + 1:], k + 1, False
    raise ValueError(edit.op)

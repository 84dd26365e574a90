"""Open mHealth data points: one wearable reading per data point.

``.jsonl``/``.ndjson`` files hold a data point a line and are read line by line. A ``.json``
file is one JSON document (a data point, or an array of them); it is read whole, as a
document cannot be cut into records before it is parsed. A data point is either
``{"header": ..., "body": ...}`` or a bare body (as the schema test data are); a missing
header is kept (device_id is then null) for the silver layer to judge.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import PurePath
from typing import Any, BinaryIO

from healthcare_dataops.formats.raw_text import BOM, decode, reject
from healthcare_dataops.formats.records import (
    WEARABLE_READING_COLUMNS,
    ParsedRow,
    ParseResult,
    Rejected,
)

KNOWN_MEASURES = ("heart_rate", "step_count", "oxygen_saturation", "body_temperature")
# A sleep-episode body has no "sleep_episode" key; these keys are what give it away.
SLEEP_KEYS = frozenset({
    "total_sleep_time", "is_main_sleep", "latency_to_sleep_onset", "latency_to_arising",
    "number_of_awakenings", "wake_after_sleep_onset", "sleep_maintenance_efficiency_percentage",
})
_WHITESPACE = re.compile(r"\s*")


class _Number(str):
    """A JSON number kept as the text it was written as (``50.0`` stays ``50.0``)."""


def parse_openmhealth(stream: BinaryIO, *, file_name: str) -> Iterator[ParseResult]:
    """Readings (WEARABLE_READING_COLUMNS) of an Open mHealth file; ``file_name`` picks the
    layout by its suffix (.jsonl, .ndjson or .json)."""
    suffix = PurePath(file_name).suffix.lower()
    if suffix in (".jsonl", ".ndjson"):
        return _parse_lines(stream)
    if suffix == ".json":
        return _parse_document(stream)
    raise ValueError(f"{file_name!r} is not an Open mHealth file (.jsonl, .ndjson or .json)")


def _loads(text: str) -> Any:
    return json.loads(text, parse_float=_Number, parse_int=_Number)


def _parse_lines(stream: BinaryIO) -> Iterator[ParseResult]:
    for line_no, raw in enumerate(iter(stream.readline, b""), 1):
        result = parse_line(raw.removeprefix(BOM) if line_no == 1 else raw, line_no)
        if result is not None:
            yield result


def parse_line(raw: bytes, line_no: int) -> ParseResult | None:
    """One JSON Lines record (a data point a line); None for a blank line, which is no record.

    The reference for the engine's reader (``transforms/openmhealth_lines.py``), which hands
    every line it cannot prove it reads the same way to this function.
    """
    raw = raw.strip()
    if not raw:
        return None
    text, err = decode(raw)
    if err:
        return reject(raw, f"line is not valid UTF-8 at byte {err.start}", (line_no,))
    try:
        point = _loads(text)
    except json.JSONDecodeError as err:
        return Rejected(text, f"line is not valid JSON: {err.msg} at column {err.colno}", (line_no,))
    return _reading(point, text, (line_no,), "line")


def _parse_document(stream: BinaryIO) -> Iterator[ParseResult]:
    raw = stream.read().removeprefix(BOM).strip()
    if not raw:
        return
    text, err = decode(raw)
    if err:
        yield reject(raw, f"document is not valid UTF-8 at byte {err.start}", (1,))
        return
    try:
        document = _loads(text)
    except json.JSONDecodeError as err:
        reason = f"document is not valid JSON: {err.msg} at line {err.lineno} column {err.colno}"
        yield Rejected(text, reason, (1,))
        return
    if not isinstance(document, list):
        yield _reading(document, text, (1,), "document")
        return
    for index, (point, point_text) in enumerate(_array_elements(text), 1):
        yield _reading(point, point_text, (index,), "array element")


def _array_elements(text: str) -> Iterator[tuple[Any, str]]:
    """Each element of a JSON array (known to be valid) with its own text as written."""
    decoder = json.JSONDecoder(parse_float=_Number, parse_int=_Number)
    at = _WHITESPACE.match(text, 1).end()
    while text[at] != "]":
        element, end = decoder.raw_decode(text, at)
        yield element, text[at:end]
        at = _WHITESPACE.match(text, end).end()
        at = _WHITESPACE.match(text, at + 1).end() if text[at] == "," else at


def _reading(point: Any, raw: str, position: tuple[int, ...], what: str) -> ParseResult:
    if not isinstance(point, dict):
        reason = f"{what} is a JSON {_json_kind(point)}, not a data point object"
        return Rejected(raw, reason, position)
    if "resourceType" in point:
        # A FHIR Observation reads like a bare body whose valueQuantity is the measure.
        kind = point["resourceType"] if isinstance(point["resourceType"], str) else "resource"
        reason = f"{what} is a FHIR {kind[:64]}, not an Open mHealth data point: FHIR is delivered to the fhir feed"
        return Rejected(raw, reason, position)
    header, body = point.get("header"), point.get("body")
    shaped = isinstance(body, dict) and isinstance(header, (dict, type(None)))
    header, body = (header or {}, body) if shaped else ({}, point)
    schema = _object(header.get("schema_id"))
    measure, quantity = _measure(body, schema.get("name"))
    if measure is None and not shaped:
        reason = f"{what} is not an Open mHealth data point: no header and body, and no measure"
        return Rejected(raw, reason, position)
    frame = _object(body.get("effective_time_frame"))
    interval = _object(frame.get("time_interval"))
    duration = _object(interval.get("duration"))
    provenance = _object(header.get("acquisition_provenance"))
    values = {
        "device_id": header.get("user_id"),
        "source_format": "openmhealth",
        "data_point_id": header.get("id"),
        "schema_namespace": schema.get("namespace"),
        "schema_name": schema.get("name"),
        "schema_version": schema.get("version"),
        "creation_date_time": header.get("creation_date_time"),
        "acquisition_source_name": provenance.get("source_name"),
        "acquisition_modality": provenance.get("modality"),
        "measure": measure,
        "value": quantity.get("value"),
        "unit": quantity.get("unit"),
        "descriptive_statistic": body.get("descriptive_statistic"),
        "effective_date_time": frame.get("date_time"),
        "start_date_time": interval.get("start_date_time"),
        "end_date_time": interval.get("end_date_time"),
        "duration_value": duration.get("value"),
        "duration_unit": duration.get("unit"),
        "raw_record": raw,
    }
    return ParsedRow({name: _text(values[name]) for name in WEARABLE_READING_COLUMNS}, position)


def _measure(body: dict, schema_name: Any) -> tuple[str | None, dict]:
    """The measure a body reports and its ``{"value", "unit"}`` quantity."""
    named = [schema_name.replace("-", "_")] if isinstance(schema_name, str) else []
    for key in [*named, *KNOWN_MEASURES]:
        if isinstance(body.get(key), _Number):  # step-count 1.0 writes a bare number
            return key, {"value": body[key]}
        if isinstance(body.get(key), dict) and "value" in body[key]:
            return key, body[key]
    if schema_name == "sleep-episode" or SLEEP_KEYS & body.keys():
        if _is_quantity(body.get("total_sleep_time")):
            return "sleep_episode", body["total_sleep_time"]
        frame = _object(body.get("effective_time_frame"))
        return "sleep_episode", _object(_object(frame.get("time_interval")).get("duration"))
    for key, value in body.items():
        if key != "effective_time_frame" and _is_quantity(value):
            return key, value
    return None, {}


def _is_quantity(value: Any) -> bool:
    return isinstance(value, dict) and "value" in value and "unit" in value


def _object(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return None if value is None else str(value)
    return json.dumps(value, ensure_ascii=False)


def _json_kind(value: Any) -> str:
    if isinstance(value, _Number):
        return "number"
    kinds = {list: "array", str: "string", bool: "boolean", type(None): "null"}
    return kinds.get(type(value), type(value).__name__)

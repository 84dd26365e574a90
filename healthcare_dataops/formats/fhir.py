"""FHIR R4 deliveries: Bulk Data NDJSON (a resource a line) and bundles, a row per resource.

A record (an NDJSON line, or a ``.json`` document) is one resource, or a Bundle whose entries
are each a row of their own (``source_entry``), as are the lines of the Bulk Data export's
deleted-resources files (Bundles of ``DELETE`` entries). Every resource is validated against
the R4 models of ``fhir.resources`` (its R4B package: R4's structures; the package's default is
R5, which rejects R4 records); one that fails, a record that is not JSON, and an entry that
holds neither a resource nor a request are rejected with the reason and the raw text. The
export's manifest (``transactionTime``, ``output``) is kept as a row of its own, unvalidated.

``parse_record`` is the one function both paths call: the Python reader here, and the engine
(``transforms/fhir_records.py``), where it runs on the engine's Python workers.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from functools import cache
from pathlib import PurePath
from typing import Any, BinaryIO

from healthcare_dataops.formats.raw_text import BOM, decode, reject
from healthcare_dataops.formats.records import FHIR_RESOURCE_COLUMNS, ParsedRow, ParseResult, Rejected

MANIFEST = "$export-manifest"
# Categories that route an Observation (and describe a Condition), as codes a silver filter reads.
_CATEGORY_TYPES = ("Observation", "Condition")
_WHITESPACE = " \t\n\r"


def parse_fhir(stream: BinaryIO, *, file_name: str) -> Iterator[ParseResult]:
    """Rows (FHIR_RESOURCE_COLUMNS) of a delivered FHIR file: ``.ndjson``/``.jsonl`` a line at a
    time, ``.json`` as one document."""
    if PurePath(file_name).suffix.lower() == ".json":
        yield from parse_record(stream.read().removeprefix(BOM), 1)
        return
    for number, raw in enumerate(iter(stream.readline, b""), 1):
        yield from parse_record(raw.removeprefix(BOM) if number == 1 else raw, number)


def parse_record(raw: bytes, number: int) -> list[ParseResult]:
    """One record's rows and rejections; nothing for a blank line."""
    raw = raw.strip()
    if not raw:
        return []
    text, err = decode(raw)
    if err:
        return [reject(raw, f"record is not valid UTF-8 at byte {err.start}", (number,))]
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        return [Rejected(text, f"record is not valid JSON: {error.msg}", (number,))]
    if not isinstance(value, dict):
        return [Rejected(text, "record is not a JSON object", (number,))]
    if value.get("resourceType") == "Bundle":
        return list(_bundle_rows(value, text, number))
    if "resourceType" not in value and "transactionTime" in value and "output" in value:
        return [_row(MANIFEST, None, {"last_updated": _text(value.get("transactionTime"))}, text, (number,))]
    return [_resource_row(value, text, (number,), {})]


def _bundle_rows(bundle: dict, text: str, number: int) -> Iterator[ParseResult]:
    entries = bundle.get("entry") or []
    raw_entries = _entry_texts(text)
    bundle_fields = {"bundle_type": _text(bundle.get("type"))}
    stamp = _text((bundle.get("meta") or {}).get("lastUpdated") or bundle.get("timestamp"))
    if not isinstance(entries, list):
        yield Rejected(text, "Bundle.entry is not an array", (number,))
        return
    for index, entry in enumerate(entries, 1):
        entry_text = raw_entries[index - 1] if len(raw_entries) == len(entries) else json.dumps(entry)
        position = (number, index)
        if not isinstance(entry, dict):
            yield Rejected(entry_text, "bundle entry is not a JSON object", position)
            continue
        request = entry.get("request") if isinstance(entry.get("request"), dict) else {}
        fields = {**bundle_fields, "request_method": _text(request.get("method")),
                  "request_url": _text(request.get("url")), "full_url": _text(entry.get("fullUrl"))}
        resource = entry.get("resource")
        if isinstance(resource, dict):
            yield _resource_row(resource, _resource_text(entry_text, resource), position, fields)
        elif fields["request_method"] == "DELETE" and fields["request_url"]:
            # "Patient/123", or an absolute URL ending so; a conditional delete names no id.
            parts = fields["request_url"].partition("?")[0].rstrip("/").split("/")
            kind, identity = (parts[-2], parts[-1]) if len(parts) > 1 else (parts[-1], None)
            yield _row(kind, identity, {**fields, "last_updated": stamp}, entry_text, position)
        elif "resourceType" in entry:
            yield Rejected(entry_text, "bundle entry is a resource itself, not an entry holding one", position)
        else:
            yield Rejected(entry_text, "bundle entry holds no resource and deletes nothing", position)


def _resource_row(resource: dict, text: str, position: tuple[int, ...], fields: dict) -> ParseResult:
    kind = resource.get("resourceType")
    if not isinstance(kind, str) or not kind:
        return Rejected(text, "resource has no resourceType", position)
    problem = validation_problem(resource)
    if problem is not None:
        reason, error = problem
        return Rejected(text, reason, position, {"validation_error": error})
    meta = resource.get("meta") if isinstance(resource.get("meta"), dict) else {}
    values = {**fields, "version_id": _text(meta.get("versionId")), "last_updated": _text(meta.get("lastUpdated"))}
    if kind in _CATEGORY_TYPES:
        values["category_codes"] = _category_codes(resource.get("category"))
    return _row(kind, _text(resource.get("id")), values, text, position)


def validation_problem(resource: dict) -> tuple[str, str] | None:
    """(reason, the validator's whole message) where ``resource`` is not valid FHIR R4; the
    reason names the resource type, the first failing element and the error kind, never a value."""
    kind = resource["resourceType"]
    model = _model(kind)
    if model is None:
        return f"unknown FHIR R4 resource type {kind[:64]!r}", f"{kind!r} is no R4 resource type"
    try:
        model.model_validate(resource)
    except ValueError as error:  # pydantic's ValidationError is a ValueError
        errors = getattr(error, "errors", lambda: [])()
        first = errors[0] if errors else {}
        where = ".".join(str(part) for part in first.get("loc", ())) or "resource"
        return f"not valid FHIR R4 {kind}: {where}: {first.get('type', 'invalid')}", str(error)
    return None


@cache
def _model(kind: str):
    from fhir.resources.R4B import get_fhir_model_class  # imported on first use: 1 s of models

    try:
        return get_fhir_model_class(kind)
    except (KeyError, ValueError):
        return None


def _row(kind: str | None, identity: str | None, values: dict, text: str, position: tuple[int, ...]) -> ParsedRow:
    row = dict.fromkeys(FHIR_RESOURCE_COLUMNS)
    row.update(values, resource_type=kind, resource_id=identity or None, resource_json=text)
    return ParsedRow(row, position)


def _category_codes(categories: Any) -> str | None:
    codes = [coding.get("code") for category in categories or [] if isinstance(category, dict)
             for coding in category.get("coding") or [] if isinstance(coding, dict)]
    return " ".join(c for c in codes if isinstance(c, str)) or None


def _text(value: Any) -> str | None:
    return None if value is None else value if isinstance(value, str) else json.dumps(value)


def _resource_text(entry_text: str, resource: dict) -> str:
    """The resource's own text as delivered inside its entry (its JSON again if not found)."""
    spans = _member_texts(entry_text)
    return spans.get("resource") or json.dumps(resource, ensure_ascii=False)


def _entry_texts(bundle_text: str) -> list[str]:
    """Each element of the bundle's ``entry`` array as written (empty if it cannot be found)."""
    entry = _member_texts(bundle_text).get("entry")
    if entry is None or not entry.startswith("["):
        return []
    decoder, elements, at = json.JSONDecoder(), [], _skip(entry, 1)
    while at < len(entry) and entry[at] != "]":
        _, end = decoder.raw_decode(entry, at)
        elements.append(entry[at:end])
        at = _skip(entry, end)
        at = _skip(entry, at + 1) if at < len(entry) and entry[at] == "," else at
    return elements


def _member_texts(object_text: str) -> dict[str, str]:
    """The members of a JSON object (known to be valid) by key, each value's text as written;
    of a key written twice, the last, as ``json.loads`` keeps it."""
    decoder, members, at = json.JSONDecoder(), {}, _skip(object_text, 1)
    while at < len(object_text) and object_text[at] != "}":
        key, at = decoder.raw_decode(object_text, at)
        at = _skip(object_text, _skip(object_text, at) + 1)  # past the ':'
        _, end = decoder.raw_decode(object_text, at)
        members[key] = object_text[at:end]
        at = _skip(object_text, end)
        at = _skip(object_text, at + 1) if at < len(object_text) and object_text[at] == "," else at
    return members


def _skip(text: str, at: int) -> int:
    while at < len(text) and text[at] in _WHITESPACE:
        at += 1
    return at

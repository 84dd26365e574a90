"""Faults of a FHIR export: a resource R4 refuses, a resource type no release defines, a
reference to a Patient the export never held, and a resource delivered again with an older
``meta.lastUpdated``. Each rewrites one line of a Bulk Data NDJSON file at once (or adds one),
and marks it taken. They touch Observations and Encounters of the export, never a Patient, so
that the hospital's features are what a clean export gives.
"""

from __future__ import annotations

import json

FHIR_FAULTS = {
    "fhir_invalid_resource": "an Observation R4 refuses (its effectiveDateTime is no dateTime)",
    "fhir_unknown_resource_type": "a line whose resourceType no FHIR release defines",
    "fhir_dangling_reference": "an Observation whose subject is a Patient the export never held",
    "fhir_stale_duplicate": "an Encounter delivered again, with other content and an older meta.lastUpdated",
}
FHIR_SKIP_REASON = "needs the EHR's FHIR export (--ehr-format fhir or both) with Observations and Encounters"
UNKNOWN_TYPE = "WearableReading"
STALE_BY = "2000-01-01T00:00:00Z"


def inject(planner, kind: str):
    """Plant ``kind`` in one of the run's NDJSON files; False where no file can carry it."""
    wanted = "Encounter" if kind == "fhir_stale_duplicate" else "Observation"
    records = [r for r in planner.files(lambda t: t == "fhir_resources")
               if r.path.rsplit("/", 1)[1].startswith(f"{wanted}.") and r.path.endswith(".ndjson")]
    record = planner.pick(records)
    index = record and planner.free_index(record.path, 1, min(record.rows, 5000))
    if not index:
        return False
    path = planner.root / record.path
    lines = path.read_text(encoding="utf-8").splitlines()
    resource = json.loads(lines[index - 1])
    position = {"line": index, "resource_id": resource["id"]}
    if kind == "fhir_invalid_resource":
        # Not a status outside its value set: the R4 models check types, formats and
        # cardinality, not value sets.
        resource["effectiveDateTime"] = "the night before"
        change, layer = "effectiveDateTime set to 'the night before'", "bronze"
        record.rows, record.quarantined = record.rows - 1, record.quarantined + 1
    elif kind == "fhir_unknown_resource_type":
        resource["resourceType"] = UNKNOWN_TYPE
        change, layer = f"resourceType set to {UNKNOWN_TYPE!r}", "bronze"
        record.rows, record.quarantined = record.rows - 1, record.quarantined + 1
    elif kind == "fhir_dangling_reference":
        resource["subject"] = {"reference": "Patient/00000000-0000-4000-8000-000000000000"}
        change, layer = "subject points at a Patient no export holds", "silver"
    else:
        stale = {**resource, "meta": {"lastUpdated": STALE_BY}, "status": "cancelled"}
        lines.append(json.dumps(stale, separators=(",", ":")))
        position = {"line": len(lines), "resource_id": resource["id"], "copy_of_line": index}
        change, layer = f"a copy with status 'cancelled' and lastUpdated {STALE_BY} appended", "silver"
        record.rows += 1
        planner.taken[record.path].add(len(lines))
    if kind != "fhir_stale_duplicate":
        lines[index - 1] = json.dumps(resource, separators=(",", ":"))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    planner.add_fault(kind, record, layer, FHIR_FAULTS[kind], position, change)

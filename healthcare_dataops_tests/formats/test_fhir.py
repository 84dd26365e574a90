"""The FHIR reader on the real samples and on the records a bad export brings."""

import io
import json
from collections import Counter

from healthcare_dataops.formats.fhir import MANIFEST, parse_fhir, parse_record
from healthcare_dataops.formats.records import ParsedRow, Rejected


def _rows(path):
    return list(parse_fhir(io.BytesIO(path.read_bytes()), file_name=path.name))


def test_bulk_ndjson_samples_are_all_valid_r4_resources_a_row_each(samples_dir):
    counted = Counter()
    for path in sorted((samples_dir / "fhir_r4_ndjson").glob("*.ndjson")):
        results = _rows(path)
        assert all(isinstance(r, ParsedRow) for r in results), path.name
        # The file's name is its resource type, and every line is one resource.
        assert {r.values["resource_type"] for r in results} == {path.name.split(".")[0]}
        assert len(results) == len(path.read_bytes().splitlines())
        counted.update(r.values["resource_type"] for r in results)
    assert counted == {"Encounter": 1215, "Condition": 555, "Immunization": 161, "Device": 16, "Patient": 13,
                       "AllergyIntolerance": 11}
    first = _rows(samples_dir / "fhir_r4_ndjson" / "Condition.000.ndjson")[0]
    assert first.position == (1,) and first.values["category_codes"] == "encounter-diagnosis"
    assert json.loads(first.values["resource_json"])["id"] == first.values["resource_id"]


def test_a_bundle_is_a_row_per_entry_its_text_as_written_and_a_broken_entry_rejected(samples_dir):
    path = samples_dir / "fhir_examples" / "ObservationBundle.FHIR-Converter.json"
    patient, broken, observation = _rows(path)
    assert (patient.values["resource_type"], patient.position) == ("Patient", (1, 1))
    assert patient.values["bundle_type"] == "batch-response"
    assert patient.values["last_updated"] == "2018-11-12T03:35:20.715Z"
    # The entry's resource as it stands in the file (its indentation included), not re-serialised.
    assert patient.values["resource_json"] in path.read_text(encoding="utf-8-sig")
    assert isinstance(broken, Rejected) and broken.position == (1, 2)
    assert broken.reason == "bundle entry is a resource itself, not an entry holding one"
    assert '"resourceType": "Encounter"' in broken.raw_text
    assert observation.values["resource_type"] == "Observation" and observation.values["category_codes"] is None


def test_invalid_unknown_and_broken_records_are_rejected_with_the_reason():
    invalid = b'{"resourceType":"Patient","id":"p1","birthDate":"not a date","gender":"male"}'
    [result] = parse_record(invalid, 3)
    assert isinstance(result, Rejected) and result.position == (3,)
    # The element and the kind of error, never the value (the reason reaches the UI's metadata).
    assert result.reason == "not valid FHIR R4 Patient: birthDate: value_error"
    assert "validation_error" in result.detail and result.raw_text == invalid.decode()
    [unknown] = parse_record(b'{"resourceType":"Wearable","id":"w1"}', 1)
    assert unknown.reason == "unknown FHIR R4 resource type 'Wearable'"
    assert parse_record(b'{"resourceType":"Patient",', 2)[0].reason.startswith("record is not valid JSON")
    assert parse_record(b"[1]", 2)[0].reason == "record is not a JSON object"
    assert parse_record(b"  \n", 4) == []
    [not_utf8] = parse_record(b'{"resourceType":"Patient","id":"\xff"}', 5)
    assert not_utf8.reason == "record is not valid UTF-8 at byte 32"


def test_deletes_of_a_since_export_and_the_manifest_are_rows_of_their_own():
    deleted = {"resourceType": "Bundle", "type": "transaction", "timestamp": "2026-01-03T05:00:00Z", "entry": [
        {"request": {"method": "DELETE", "url": "Encounter/e1"}},
        {"request": {"method": "DELETE", "url": "Patient?identifier=x"}},
        {"fullUrl": "urn:uuid:x"},
    ]}
    first, conditional, empty = parse_record(json.dumps(deleted).encode(), 7)
    assert (first.values["resource_type"], first.values["resource_id"], first.values["request_method"]) == \
        ("Encounter", "e1", "DELETE")
    assert first.values["last_updated"] == "2026-01-03T05:00:00Z" and first.position == (7, 1)
    assert (conditional.values["resource_type"], conditional.values["resource_id"]) == ("Patient", None)
    assert empty.reason == "bundle entry holds no resource and deletes nothing"
    manifest = {"transactionTime": "2026-01-03T05:00:00Z", "request": "[base]/$export", "output": []}
    [row] = parse_record(json.dumps(manifest).encode(), 1)
    assert row.values["resource_type"] == MANIFEST and row.values["last_updated"] == "2026-01-03T05:00:00Z"

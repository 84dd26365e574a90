from __future__ import annotations

import io
import json

import pytest

from healthcare_dataops.formats.records import EHR_COLUMNS, ENROLLMENT_COLUMNS
from healthcare_dataops.formats.synthea_csv import parse_enrollment_csv, parse_synthea_csv
from healthcare_dataops_tests.formats.streams import generated, peak_memory_while, split

CONDITIONS = (
    b"START,STOP,PATIENT,ENCOUNTER,SYSTEM,CODE,DESCRIPTION\n"
    b"2023-01-27,2023-02-09,p1,e1,http://snomed.info/sct,195662009,Acute viral pharyngitis (disorder)\n"
    b"2011-08-09,,p2,e2,http://snomed.info/sct,232353008,\"Rhinitis, perennial\"\n"
    b"2019-03-01,,p3,e3,http://snomed.info/sct,44054006,Diabetes\n"
)


def _parse(data: bytes, table: str = "conditions"):
    return split(parse_synthea_csv(io.BytesIO(data), table))


def _replace_line(data: bytes, number: int, line: bytes) -> bytes:
    lines = data.split(b"\n")
    lines[number - 1] = line
    return b"\n".join(lines)


@pytest.mark.parametrize("table, count", [
    ("patients", 27), ("encounters", 604), ("conditions", 438), ("medications", 663),
    ("observations", 990),
])
def test_synthea_v3_samples_parse_whole(samples_dir, table, count):
    with open(samples_dir / "synthea_csv" / f"{table}.csv", "rb") as stream:
        rows, rejected = split(parse_synthea_csv(stream, table))
    assert rejected == []
    assert len(rows) == count
    assert all(tuple(row.values) == (*EHR_COLUMNS[table], "extra_columns") for row in rows)
    assert [row.position for row in rows[:2]] == [(2,), (3,)]


def test_synthea_v3_patients_lack_newer_columns(samples_dir):
    with open(samples_dir / "synthea_csv" / "patients.csv", "rb") as stream:
        rows, _ = split(parse_synthea_csv(stream, "patients"))
    first = rows[0].values
    assert first["id"] == "3edac2e3-d223-6fae-d515-daf96ef6bc76"  # header says "Id"
    assert first["birthdate"] == "2014-10-06"
    assert first["deathdate"] is None  # empty field
    assert first["zip"] == "02155"  # text as delivered, leading zero kept
    assert first["birthplace"] == "Boston  Massachusetts  US"
    assert all(row.values[c] is None for row in rows for c in ("middle", "fips", "income", "phone"))
    assert all(row.values["extra_columns"] is None for row in rows)


def test_synthea_v3_conditions_lack_system(samples_dir):
    with open(samples_dir / "synthea_csv" / "conditions.csv", "rb") as stream:
        rows, _ = split(parse_synthea_csv(stream, "conditions"))
    assert rows[0].values["code"] == "195662009"
    assert all(row.values["system"] is None for row in rows)


def test_columns_by_name_any_case_with_bom_crlf_quotes_and_extras():
    data = (
        b"\xef\xbb\xbfcode,Patient,start,EXTRA_NOTE\r\n"
        b"1234,p1,2020-01-01,\"a, b\"\r\n"
        b"\r\n"
        b"5678,p2,2020-02-02,\"two\r\nlines\"\r\n"
        b"9999,p3,2020-03-03,\r\n"
    )
    rows, rejected = _parse(data)
    assert rejected == []
    assert [row.position for row in rows] == [(2,), (4,), (6,)]  # blank line 3 is no record
    assert rows[0].values["code"] == "1234" and rows[0].values["patient"] == "p1"
    assert rows[0].values["stop"] is None and rows[0].values["system"] is None
    assert json.loads(rows[0].values["extra_columns"]) == {"EXTRA_NOTE": "a, b"}
    assert json.loads(rows[1].values["extra_columns"]) == {"EXTRA_NOTE": "two\r\nlines"}
    assert json.loads(rows[2].values["extra_columns"]) == {"EXTRA_NOTE": None}


def test_csv_extra_field_rejects_that_row_only():
    data = _replace_line(CONDITIONS, 3, b"2011-08-09,,p2,e2,sys,232353008,desc,surplus")
    rows, rejected = _parse(data)
    assert [row.values["patient"] for row in rows] == ["p1", "p3"]
    assert len(rejected) == 1
    assert rejected[0].reason == "row has 8 fields, header has 7"
    assert rejected[0].position == (3,)
    assert rejected[0].raw_text == "2011-08-09,,p2,e2,sys,232353008,desc,surplus"


def test_csv_missing_field_rejects_that_row_only():
    data = _replace_line(CONDITIONS, 2, b"2023-01-27,2023-02-09,p1,e1,195662009")
    rows, rejected = _parse(data)
    assert [row.values["patient"] for row in rows] == ["p2", "p3"]
    assert [(r.reason, r.position) for r in rejected] == [("row has 5 fields, header has 7", (2,))]


def test_csv_invalid_utf8_rejects_that_line_and_keeps_its_bytes():
    bad = b"2011-08-09,,p2,e2,sys,232353008,Caf\xe9 au lait spots"
    rows, rejected = _parse(_replace_line(CONDITIONS, 3, bad))
    assert [row.values["patient"] for row in rows] == ["p1", "p3"]
    assert len(rejected) == 1
    assert rejected[0].reason == "not valid UTF-8 at byte 35"  # 0-based, as in a hex dump
    assert rejected[0].position == (3,)
    assert rejected[0].raw_text == "2011-08-09,,p2,e2,sys,232353008,Caf\ufffd au lait spots"
    assert bytes.fromhex(rejected[0].detail["raw_hex"]) == bad


def test_csv_missing_required_column_rejects_every_row_without_losing_it():
    data = CONDITIONS.replace(b"PATIENT,", b"PERSON,", 1)
    rows, rejected = _parse(data)
    assert rows == []
    assert len(rejected) == 3  # every data line, none lost
    assert {r.reason for r in rejected} == {"header lacks required column PATIENT"}
    assert [r.position for r in rejected] == [(2,), (3,), (4,)]
    assert rejected[0].detail == {"header": "START,STOP,PERSON,ENCOUNTER,SYSTEM,CODE,DESCRIPTION"}
    assert rejected[1].raw_text == (
        '2011-08-09,,p2,e2,http://snomed.info/sct,232353008,"Rhinitis, perennial"'
    )


def test_header_lacking_several_required_columns_names_them_all():
    _, rejected = _parse(b"STOP,DESCRIPTION\n2020-01-01,x\n")
    assert rejected[0].reason == "header lacks required columns START, PATIENT, CODE"


def test_unclosed_quote_is_bounded_and_rejected():
    data = CONDITIONS + b'2020-01-01,,p4,e4,sys,1,"never closed\n' + b"x" * 200_000 + b"\n"
    rows, rejected = _parse(data)
    assert len(rows) == 3
    assert rejected and rejected[0].reason.startswith("row is not valid CSV: field larger than")
    assert rejected[0].position == (5,)


def test_empty_and_header_only_files_yield_nothing():
    assert _parse(b"") == ([], [])
    assert _parse(b"START,PATIENT,CODE\n") == ([], [])


def test_unknown_table_is_a_caller_error():
    with pytest.raises(ValueError, match="unknown Synthea table 'allergies'"):
        parse_synthea_csv(io.BytesIO(CONDITIONS), "allergies")


def test_enrollment_csv():
    data = (
        b"device_id,patient_mrn,device_model,enrolled_at,site\n"
        b"d-1,MRN1,Watch 9,2026-01-05T10:00:00Z,north\n"
        b"d-2,MRN2\n"
    )
    rows, rejected = split(parse_enrollment_csv(io.BytesIO(data)))
    assert len(rows) == 1
    assert tuple(rows[0].values) == (*ENROLLMENT_COLUMNS, "extra_columns")
    assert rows[0].values["device_model"] == "Watch 9"
    assert rows[0].values["extra_columns"] == '{"site": "north"}'
    assert [(r.reason, r.position) for r in rejected] == [("row has 2 fields, header has 5", (3,))]
    _, missing = split(parse_enrollment_csv(io.BytesIO(b"device_id,model\nd-1,x\n")))
    assert missing[0].reason == "header lacks required column PATIENT_MRN"


def test_csv_streams_without_growing_memory():
    line = b"2023-01-27,2023-02-09,p1,e1,http://snomed.info/sct,195662009,Acute viral pharyngitis\n"

    def consume() -> int:
        lines = (CONDITIONS[:53] if i == 0 else line for i in range(50_001))
        return sum(1 for _ in parse_synthea_csv(generated(lines), "conditions"))

    count, peak = peak_memory_while(consume)
    assert count == 50_000
    assert peak < 2_000_000 < 50_000 * len(line)

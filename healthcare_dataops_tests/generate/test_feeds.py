"""The delivered files: where they lie, whether they are well formed, what they carry."""

from __future__ import annotations

import json
import re

from healthcare_dataops.formats.records import EHR_COLUMNS, ENROLLMENT_COLUMNS
from healthcare_dataops.landing_layout import (
    EHR_TABLES,
    ENROLLMENT_FILE_NAME,
    delivery_day_of,
    lab_file_name,
    wearable_file_name,
)

from .feeds import data_points, hl7_messages, read_csv

DAYS = ("2026-01-01", "2026-01-02", "2026-01-03")
LABS = ("northlab", "quantum", "citycore")
VENDORS = ("pulsewear", "vitatrack", "oxyring")
SCHEMAS = {"heart-rate", "step-count", "oxygen-saturation", "sleep-episode"}


def test_every_file_is_where_the_landing_zone_says(small):
    landing, _ = small
    expected = set()
    for day in DAYS:
        expected |= {f"ehr/{day}/{t}.csv" for t in EHR_TABLES}
        expected |= {f"labs/{day}/{lab_file_name(lab, day)}" for lab in LABS}
        expected |= {f"wearables/{day}/{wearable_file_name(v, day)}" for v in VENDORS}
        expected.add(f"wearables/{day}/{ENROLLMENT_FILE_NAME}")
    written = {p.relative_to(landing).as_posix() for p in landing.rglob("*") if p.is_file()}
    assert written == expected
    assert all(delivery_day_of(path) in DAYS for path in written)


def test_ehr_files_have_the_newest_synthea_headers_and_parse(small):
    landing, _ = small
    for day in DAYS:
        for table in EHR_TABLES:
            header, rows = read_csv(landing / "ehr" / day / f"{table}.csv")
            assert [c.lower() for c in header] == list(EHR_COLUMNS[table])
            assert all(None not in row and len(row) == len(header) for row in rows)
    first_day = read_csv(landing / "ehr" / DAYS[0] / "encounters.csv")[1]
    assert {"wellness", "ambulatory", "emergency", "inpatient"} <= {r["ENCOUNTERCLASS"] for r in first_day}


def test_patients_carry_phi_like_a_real_export(small):
    landing, _ = small
    _, patients = read_csv(landing / "ehr" / DAYS[0] / "patients.csv")
    # Each patient once, and again with the date of death for those who died in the year the
    # first export carries.
    died = [p for p in patients if p["DEATHDATE"]]
    assert len(patients) == 50 + len(died) and all("2024-12-01" < p["DEATHDATE"] < "2026-01-02" for p in died)
    for p in patients:
        for column in ("Id", "BIRTHDATE", "SSN", "FIRST", "LAST", "ADDRESS", "CITY", "STATE", "COUNTY", "FIPS",
                       "ZIP", "LAT", "LON", "PHONE", "GENDER", "RACE", "ETHNICITY", "INCOME"):
            assert p[column], (column, p)
        assert re.fullmatch(r"999-\d\d-\d{4}", p["SSN"])
        assert re.fullmatch(r"555-0\d\d-\d{4}", p["PHONE"])
        assert re.fullmatch(r"0[12]\d{3}", p["ZIP"])  # Massachusetts: the leading zero is kept
    assert len({p["Id"] for p in patients}) == 50


def test_first_export_holds_prior_history_and_later_days_only_new_rows(small):
    landing, _ = small
    _, first = read_csv(landing / "ehr" / DAYS[0] / "encounters.csv")
    assert min(r["START"] for r in first) < "2025-01-01"
    inpatient = [r for r in first if r["ENCOUNTERCLASS"] == "inpatient"]
    # Closed stays end after they start; stays still open at the export have no STOP yet.
    assert inpatient and all(r["STOP"] > r["START"] or r["STOP"] == "" for r in inpatient)
    open_stays = 0
    for day in DAYS[1:]:
        _, later = read_csv(landing / "ehr" / day / "encounters.csv")
        assert all(r["STOP"][:10] >= "2026-01-01" for r in later if r["STOP"])
        assert all(r["ENCOUNTERCLASS"] == "inpatient" for r in later if not r["STOP"])
        open_stays += sum(not r["STOP"] for r in later)
    assert open_stays, "patients in hospital at the end of a day are exported as open stays"
    _, observations = read_csv(landing / "ehr" / DAYS[0] / "observations.csv")
    codes = {r["CODE"] for r in observations}
    assert {"8867-4", "8480-6", "8462-4", "9279-1", "8310-5", "29463-7", "39156-5", "59408-5"} <= codes
    _, patients = read_csv(landing / "ehr" / DAYS[0] / "patients.csv")
    streets = {p["ADDRESS"] for p in patients}
    address_answers = [r for r in observations if r["CODE"] == "56799-0"]
    assert address_answers and all(r["VALUE"] in streets for r in address_answers)
    _, conditions = read_csv(landing / "ehr" / DAYS[0] / "conditions.csv")
    assert {r["SYSTEM"] for r in conditions} == {"SNOMED-CT"}
    assert {"44054006", "59621000"} <= {r["CODE"] for r in conditions}


def test_lab_files_are_hl7_oru_messages(small):
    landing, _ = small
    control_ids, obx_count = [], 0
    for path in sorted((landing / "labs").glob("*/*.hl7")):
        raw = path.read_bytes()
        if raw:
            assert b"\r" in raw
        for message in hl7_messages(path):
            kinds = [s[:3] for s in message]
            assert kinds[:4] == ["MSH", "PID", "ORC", "OBR"] and set(kinds[4:]) == {"OBX"}
            msh = message[0].split("|")
            assert msh[8] == "ORU^R01^ORU_R01" and msh[11] == "2.5.1"
            control_ids.append(msh[9])
            pid = message[1].split("|")
            assert re.fullmatch(r"[0-9a-f-]{36}\^\^\^(NGH|CMC)\^MR", pid[3])
            assert pid[5] and re.fullmatch(r"\d{8}", pid[7]) and pid[8] in ("F", "M")
            for obx in message[4:]:
                f = obx.split("|")
                assert f[2] == "NM" and f[3].endswith("^LN") and f[6].endswith("^UCUM") and f[11] == "F"
                assert f[8] in ("N", "H", "L", "HH", "LL")
                assert re.fullmatch(r"\d{14}[-+]\d{4}", f[14])
                low, high = map(float, f[7].split("-"))
                value = float(f[5])
                assert (f[8] == "N") == (low <= value <= high)
                obx_count += 1
    assert obx_count > 50
    assert len(control_ids) == len(set(control_ids))


def test_wearable_files_are_open_mhealth_data_points(small):
    landing, _ = small
    seen = set()
    for path in sorted((landing / "wearables").glob("*/*.jsonl")):
        for point in data_points(path):
            header, body = point["header"], point["body"]
            assert header["schema_id"]["namespace"] == "omh"
            assert re.fullmatch(r"WD-[0-9A-F]{8}", header["user_id"])
            assert " firmware " in header["acquisition_provenance"]["source_name"]
            name = header["schema_id"]["name"]
            seen.add(name)
            frame = body["effective_time_frame"]
            stamp = frame.get("date_time") or frame["time_interval"]["start_date_time"]
            assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[-+]\d\d:\d\d", stamp)
            if name == "heart-rate":
                assert body["heart_rate"]["unit"] == "beats/min" and stamp[:10] == path.parent.name
            if name == "oxygen-saturation":
                assert body["oxygen_saturation"]["unit"] == "%"
    assert seen == SCHEMAS


def test_enrollment_lists_each_device_once(small):
    landing, _ = small
    devices = []
    for day in DAYS:
        header, rows = read_csv(landing / "wearables" / day / ENROLLMENT_FILE_NAME)
        assert [c.lower() for c in header] == list(ENROLLMENT_COLUMNS)
        devices += [r["DEVICE_ID"] for r in rows]
    assert devices and len(devices) == len(set(devices))
    users = {p["header"]["user_id"] for path in (landing / "wearables").glob("*/*.jsonl") for p in data_points(path)}
    assert users <= set(devices)


def test_manifest_counts_match_the_files(small):
    landing, side = small
    manifest = json.loads((side / "manifest.json").read_text())
    files = manifest["expected"]["files"]
    assert set(files) == {p.relative_to(landing).as_posix() for p in landing.rglob("*") if p.is_file()}
    for path, entry in files.items():
        if path.endswith(".csv"):
            assert entry["rows"] == len(read_csv(landing / path)[1])
        elif path.endswith(".jsonl"):
            assert entry["rows"] == len(data_points(landing / path))
        else:
            assert entry["rows"] == sum(s.startswith("OBX|") for m in hl7_messages(landing / path) for s in m)
        assert entry["quarantined"] == 0

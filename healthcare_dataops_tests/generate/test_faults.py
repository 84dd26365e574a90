"""Every fault kind is injected, recorded where it is, and the expected counts hold."""

from __future__ import annotations

import csv
import datetime as dt
import json

import pytest

from healthcare_dataops.generate.delivery_faults import DELIVERY
from healthcare_dataops.generate.faults import BRONZE, SILVER, parse_faults
from healthcare_dataops.generate.record_faults import CLOCK_AHEAD_HOURS

from .bronze_reference import count, hl7_blocks

ARGS = ("--patients", "120", "--days", "3", "--faults", "all")
# A CSV export: "all" is every kind but the FHIR export's (test_fhir_to_silver plants those).
CSV_KINDS = parse_faults("all", fhir=False)


@pytest.fixture(scope="module")
def faulted(generated):
    landing, side = generated(*ARGS)
    return landing, json.loads((side / "manifest.json").read_text())


def test_every_kind_is_injected_and_recorded(faulted):
    _, manifest = faulted
    assert manifest["skipped_faults"] == []
    assert sorted(f["kind"] for f in manifest["faults"]) == sorted(CSV_KINDS)
    for fault in manifest["faults"]:
        assert fault["layer"] == ("bronze" if fault["kind"] in BRONZE
                                  else "delivery" if fault["kind"] in DELIVERY else "silver")
        assert fault["change"] and fault["position"]
    assert manifest["options"]["faults"] == list(CSV_KINDS)


def test_bronze_counts_are_conserved_file_by_file(faulted):
    landing, manifest = faulted
    files = manifest["expected"]["files"]
    copies = next(f for f in manifest["faults"] if f["kind"] == "duplicated_day")["copies"]
    for path, entry in files.items():
        if path in copies:  # bronze skips a re-delivered file: it brings nothing
            assert (landing / path).read_bytes() == (landing / copies[path]).read_bytes()
            assert (entry["rows"], entry["quarantined"]) == (0, 0)
            continue
        assert count(landing / path, entry["table"]) == (entry["rows"], entry["quarantined"]), path
    totals = manifest["expected"]["tables"]
    assert sum(t["quarantined"] for t in totals.values()) >= sum(f["layer"] == "bronze" for f in manifest["faults"])


def line_at(landing, fault) -> bytes:
    raw = (landing / fault["file"]).read_bytes()
    offset = fault["position"]["byte_offset"]
    assert offset == 0 or raw[offset - 1:offset] in (b"\n", b"\r")
    line = raw.split(b"\n")[fault["position"]["line"] - 1] if "line" in fault["position"] else None
    if line is not None:
        assert raw[offset:].startswith(line)
    return line


def block_at(landing, fault) -> list[str]:
    raw = (landing / fault["file"]).read_bytes()
    position = fault["position"]
    block = hl7_blocks(raw)[position["message"] - 1]
    assert raw[position["byte_offset"]:].decode("utf-8").startswith(block[0])
    return block


@pytest.mark.parametrize("kind", tuple(BRONZE) + tuple(SILVER))
def test_the_fault_is_in_the_file_where_the_manifest_says(faulted, kind):
    landing, manifest = faulted
    fault = next(f for f in manifest["faults"] if f["kind"] == kind)
    path = landing / fault["file"]
    if fault["file"].endswith(".csv"):
        line = line_at(landing, fault)
        header = next(csv.reader([path.read_bytes().split(b"\n")[0].decode()]))
        if kind == "csv_invalid_utf8":
            assert b"\xff\xfe" in line
            with pytest.raises(UnicodeDecodeError):
                line.decode("utf-8")
            return
        fields = next(csv.reader([line.decode()]))
        if kind == "csv_missing_required_column":
            assert fault["position"]["line"] == 1 and fault["position"]["column"] not in header
        elif kind in ("csv_extra_field", "enrollment_extra_field"):
            assert len(fields) == len(header) + 1
        else:
            assert len(fields) < len(header)
    elif fault["file"].endswith(".jsonl"):
        line = line_at(landing, fault)
        if kind == "jsonl_broken_json":
            with pytest.raises(ValueError):
                json.loads(line)
            return
        point = json.loads(line)
        if kind == "jsonl_not_a_data_point":
            assert not isinstance(point, dict)
        elif kind == "late_arrival":
            day = dt.date.fromisoformat(fault["file"].split("/")[1])
            lines = path.read_bytes().split(b"\n")[fault["position"]["line"] - 1:][: fault["position"]["lines"]]
            for moved in map(json.loads, lines):
                stamp = moved["body"]["effective_time_frame"]["date_time"]
                assert dt.date.fromisoformat(stamp[:10]) == day - dt.timedelta(days=2)
        else:
            measure, value = {"heart_rate_impossible": ("heart_rate", 400),
                              "spo2_impossible": ("oxygen_saturation", 130),
                              "steps_negative": ("step_count", None)}[kind]
            got = point["body"][measure]["value"]
            assert got == value if value is not None else got < 0
    else:
        block = block_at(landing, fault)
        segment = fault["position"]["segment"]
        kinds = [s[:3] for s in block]
        if kind == "hl7_garbage_line":
            assert block[0].startswith("***") and len(block) == 1
        elif kind == "hl7_missing_msh":
            assert kinds[0] == "PID" and segment == 1
        elif kind == "hl7_no_pid":
            assert kinds[0] == "MSH" and "PID" not in kinds
        elif kind == "hl7_no_obx":
            assert kinds[0] == "MSH" and "OBX" not in kinds
        elif kind == "hl7_truncated_message":
            assert kinds.count("OBX") >= 2 and segment == len(block)
            assert len(block[-1].split("|")) < 12 and block[-2].split("|")[11] == "F"
        elif kind == "lab_unknown_unit":
            assert block[segment - 1].split("|")[6] == "mg/furlong^mg/furlong^UCUM"
        elif kind == "duplicate_redelivery":
            source = hl7_blocks((landing / fault["copied_from"]["file"]).read_bytes())
            ids = {b[0].split("|")[9] for b in source}
            copies = hl7_blocks(path.read_bytes())[fault["position"]["message"] - 1:][: fault["position"]["messages"]]
            assert [b[0].split("|")[9] for b in copies] == fault["copied_from"]["message_control_ids"]
            assert set(fault["copied_from"]["message_control_ids"]) <= ids


def fault_of(manifest, kind) -> dict:
    return next(f for f in manifest["faults"] if f["kind"] == kind)


def test_empty_files_hold_nothing(faulted):
    landing, manifest = faulted
    for kind in ("empty_hl7_file", "empty_jsonl_file"):
        fault = fault_of(manifest, kind)
        assert (landing / fault["file"]).read_bytes() == b""
        assert manifest["expected"]["files"][fault["file"]] == {"table": fault["table"], "rows": 0, "quarantined": 0}
    fault = fault_of(manifest, "empty_csv_file")
    lines = (landing / fault["file"]).read_bytes().splitlines()
    assert len(lines) == 1 and lines[0].startswith(b"START,")
    assert manifest["expected"]["files"][fault["file"]]["rows"] == 0


def test_the_utf16_file_says_so_with_its_mark(faulted):
    landing, manifest = faulted
    fault = fault_of(manifest, "utf16_file")
    raw = (landing / fault["file"]).read_bytes()
    assert raw.startswith(b"\xff\xfe")
    assert raw.decode("utf-16").startswith("MSH|" if fault["file"].endswith(".hl7") else "")
    assert count(landing / fault["file"], fault["table"])[0] == manifest["expected"]["files"][fault["file"]]["rows"] > 0


def test_the_duplicated_day_is_the_first_day_in_the_last_days_folders(faulted):
    _, manifest = faulted
    fault = fault_of(manifest, "duplicated_day")
    first, last = manifest["days"][0], manifest["days"][-1]
    assert fault["copies"] and all(f"/{last}/" in c and f"/{first}/" in o for c, o in fault["copies"].items())


def test_days_arrive_in_the_order_the_manifest_says(faulted):
    landing, manifest = faulted
    order = fault_of(manifest, "out_of_order_days")["arrival_order"]
    days = manifest["days"]
    assert order == [days[0], days[2], days[1]]
    newest = {d: max(p.stat().st_mtime for p in landing.glob(f"*/{d}/*")) for d in days}
    oldest = {d: min(p.stat().st_mtime for p in landing.glob(f"*/{d}/*")) for d in days}
    assert newest[days[2]] < oldest[days[1]]


def test_the_unit_change_converts_value_and_range(faulted):
    landing, manifest = faulted
    fault = fault_of(manifest, "lab_unit_change")
    blocks = hl7_blocks((landing / fault["file"]).read_bytes())
    for change in fault["converted"]:
        fields = blocks[change["message"] - 1][change["segment"] - 1].split("|")
        assert fields[6].startswith("mmol/L") and float(fields[5]) == change["mmol_l"]
        assert abs(change["mmol_l"] * 18.016 - change["mg_dl"]) <= 0.05 * 18.016
        assert fields[7] == "3.9-5.5"


def test_the_deleted_patient_is_in_no_ehr_file_but_still_enrolled(faulted):
    landing, manifest = faulted
    fault = fault_of(manifest, "patient_deleted")
    mrn = fault["patient_mrn"].encode()
    assert fault["ehr_rows_removed"]
    assert not any(mrn in p.read_bytes() for p in landing.glob("ehr/*/*.csv"))
    line = (landing / fault["file"]).read_bytes().split(b"\n")[fault["position"]["line"] - 1]
    assert line.startswith(fault["device_id"].encode() + b"," + mrn)
    last = manifest["days"][-1]
    assert any(f'"user_id":"{fault["device_id"]}"'.encode() in p.read_bytes()
               for p in landing.glob(f"wearables/{last}/*.jsonl"))


def test_the_future_reading_is_two_days_after_its_delivery(faulted):
    landing, manifest = faulted
    fault = fault_of(manifest, "future_timestamp")
    point = json.loads((landing / fault["file"]).read_bytes().split(b"\n")[fault["position"]["line"] - 1])
    day = dt.date.fromisoformat(fault["file"].split("/")[1])
    assert point["body"]["effective_time_frame"]["date_time"][:10] == (day + dt.timedelta(days=2)).isoformat()


def test_the_fast_clock_stamps_readings_after_they_were_created(faulted):
    landing, manifest = faulted
    fault = fault_of(manifest, "wearable_clock_ahead")
    lines = (landing / fault["file"]).read_bytes().split(b"\n")
    first = fault["position"]["line"]
    for raw in lines[first - 1:first - 1 + fault["position"]["lines"]]:
        point = json.loads(raw)
        frame = point["body"]["effective_time_frame"]
        measured = dt.datetime.fromisoformat(frame.get("date_time") or frame["time_interval"]["end_date_time"])
        created = dt.datetime.fromisoformat(point["header"]["creation_date_time"])
        assert point["header"]["user_id"] == fault["device_id"]
        assert measured - created > dt.timedelta(hours=CLOCK_AHEAD_HOURS - 4, minutes=-60)

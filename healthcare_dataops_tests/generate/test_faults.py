"""Every fault kind is injected, recorded where it is, and the expected counts hold."""

from __future__ import annotations

import csv
import datetime as dt
import json

import pytest

from healthcare_dataops.generate.faults import BRONZE, KINDS

from .bronze_reference import count, hl7_blocks

ARGS = ("--patients", "120", "--days", "3", "--faults", "all")


@pytest.fixture(scope="module")
def faulted(generated):
    landing, side = generated(*ARGS)
    return landing, json.loads((side / "manifest.json").read_text())


def test_every_kind_is_injected_and_recorded(faulted):
    _, manifest = faulted
    assert manifest["skipped_faults"] == []
    assert sorted(f["kind"] for f in manifest["faults"]) == sorted(KINDS)
    for fault in manifest["faults"]:
        assert fault["layer"] == ("bronze" if fault["kind"] in BRONZE else "silver")
        assert fault["change"] and fault["position"]
    assert manifest["options"]["faults"] == list(KINDS)


def test_bronze_counts_are_conserved_file_by_file(faulted):
    landing, manifest = faulted
    files = manifest["expected"]["files"]
    for path, entry in files.items():
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


@pytest.mark.parametrize("kind", KINDS)
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
            measure, value = {"heart_rate_impossible": ("heart_rate", 400), "spo2_impossible": ("oxygen_saturation", 130),
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

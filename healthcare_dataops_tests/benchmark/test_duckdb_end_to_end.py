"""The end-to-end DuckDB baseline does the pipeline's logical work on the very rows delivered.

Generated feeds (50 patients × 2 days, no faults) are read a second time, the plain way: each
Open mHealth line with ``json``, each CSV with ``csv``, and the expected rows built from the
generator's own layout and the reference units. The baseline's tables must hold exactly those
rows: every data point the manifest says was written, once per (device, measure, time), the
newest delivery winning, and the EHR rows less the duplicates by silver's keys.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from healthcare_dataops import reference
from healthcare_dataops.benchmark import duckdb_end_to_end as baseline
from healthcare_dataops.benchmark import end_to_end_timing
from healthcare_dataops.generate.runner import Options, generate

START = dt.date(2026, 1, 1)
DAYS = [START, START + dt.timedelta(days=1)]
# Synthea's column for each of silver's key columns, and how the key's value is read.
EHR_KEY_COLUMNS = {
    "patients": ("Id",),
    "encounters": ("Id",),
    "conditions": ("PATIENT", "ENCOUNTER", "CODE", "START"),
    "medications": ("PATIENT", "ENCOUNTER", "CODE", "START"),
    "observations": ("PATIENT", "ENCOUNTER", "CODE", "DATE"),
}


@pytest.fixture(scope="module")
def landing(tmp_path_factory) -> tuple[Path, dict]:
    root = tmp_path_factory.mktemp("end_to_end")
    summary = generate(Options(landing=root / "landing", side=root / "side", patients=50, days=len(DAYS),
                               start_date=START, epoch=START))
    return root / "landing", json.loads(summary.manifest.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def written(landing, tmp_path_factory) -> dict[str, list[dict]]:
    """What each part of the baseline wrote, as rows."""
    folder, _ = landing
    out = tmp_path_factory.mktemp("baseline_out")
    spill = out / "spill"
    baseline.run_wearable_readings(folder, DAYS, str(out / "readings.parquet"), spill)
    baseline.run_wearable_vitals(str(out / "readings.parquet"), str(out / "vitals.parquet"), spill)
    baseline.run_ehr(folder, DAYS, out / "ehr", spill)
    tables = {"wearable_readings": out / "readings.parquet", "wearable_vitals": out / "vitals.parquet",
              **{p.stem: p for p in (out / "ehr").glob("*.parquet")}}
    return {name: pq.read_table(path).to_pylist() for name, path in tables.items()}


def _utc(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).astimezone(dt.UTC)


def _newest_enrollments(folder: Path) -> dict[str, str]:
    owners = {}
    for path in sorted(folder.glob("wearables/*/device_enrollment.csv")):  # day folders sort by day
        with path.open(newline="", encoding="utf-8") as stream:
            owners |= {row["DEVICE_ID"]: row["PATIENT_MRN"] for row in csv.DictReader(stream)}
    return owners


def _expected_readings(folder: Path) -> tuple[int, dict[tuple, dict]]:
    """Data points read, and the readings they make, keyed as silver keys them."""
    measures = reference.read_rows("wearable_measures.csv")
    units = {(r["source_measure"], r["unit_as_delivered"].lower()): r for r in measures}
    owners = _newest_enrollments(folder)
    points, readings = 0, {}
    for path in sorted(folder.glob("wearables/*/*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            points += 1
            point = json.loads(line)
            header, body = point["header"], point["body"]
            source = header["schema_id"]["name"].replace("-", "_")
            quantity = body["total_sleep_time"] if source == "sleep_episode" else body[source]
            unit = units[(source, quantity["unit"].lower())]
            frame = body["effective_time_frame"]
            interval = frame.get("time_interval", {})
            measured_at = _utc(frame.get("date_time") or interval["start_date_time"])
            key = (header["user_id"], unit["measure"], measured_at)
            # Later delivery days come later in the sort: the newest delivery wins.
            readings[key] = {
                "device_id": header["user_id"], "patient_id": owners[header["user_id"]], "measure": unit["measure"],
                "value": float(quantity["value"]) * float(unit["multiply_by"]) + float(unit["add"]),
                "unit": unit["unit"], "measured_at": measured_at, "measured_date": measured_at.date(),
                "measured_end_at": _utc(interval["end_date_time"]) if interval else None,
                "delivery_date": dt.date.fromisoformat(path.parent.name),
            }
    return points, readings


def test_every_data_point_becomes_one_reading_per_device_measure_and_time(landing, written):
    folder, manifest = landing
    points, expected = _expected_readings(folder)
    delivered = sum(f["rows"] for f in manifest["expected"]["files"].values() if f["table"] == "wearable_readings")
    assert points == delivered > 1000
    rows = written["wearable_readings"]
    assert len(rows) == len(expected)
    actual = {(r["device_id"], r["measure"], r["measured_at"]): r for r in rows}
    assert actual.keys() == expected.keys()
    for key, row in expected.items():
        assert {name: actual[key][name] for name in row} == row, key
    assert {r["measure"] for r in rows} == {"heart_rate", "steps", "spo2", "sleep"}
    assert {r["unit"] for r in rows if r["measure"] == "sleep"} == {"min"}


def test_vitals_are_one_row_per_patient_and_hour_of_the_readings(written):
    hours = {(r["patient_id"], r["measured_date"], r["measured_at"].replace(minute=0, second=0, microsecond=0))
             for r in written["wearable_readings"]}
    vitals = written["wearable_vitals"]
    assert len(vitals) == len(hours)
    assert {(v["patient_id"], v["measured_date"], v["hour_start"]) for v in vitals} == hours
    steps = sum(r["value"] for r in written["wearable_readings"] if r["measure"] == "steps")
    assert sum(v["steps"] or 0 for v in vitals) == pytest.approx(steps)


def test_ehr_tables_are_the_delivered_rows_less_the_duplicates(landing, written):
    folder, manifest = landing
    for table, key_columns in EHR_KEY_COLUMNS.items():
        delivered, newest = 0, {}
        for path in sorted(folder.glob(f"ehr/*/{table}.csv")):
            with path.open(newline="", encoding="utf-8") as stream:
                for row in csv.DictReader(stream):
                    delivered += 1
                    newest[tuple(row[c] for c in key_columns)] = (path.parent.name, row)
        assert delivered == manifest["expected"]["tables"][table]["rows"]
        assert len(written[table]) == len(newest), table
    # Within one delivery (the first export carries a patient who died in the year before the
    # feeds twice, the second time with the date of death), the copy furthest along.
    exported: dict[str, list[dict]] = {}
    for day, row in _csv_rows(folder, "patients"):
        exported.setdefault(f"{day}|{row['Id']}", []).append(row)
    died = {key.split("|")[1] for key, rows in exported.items() if len(rows) > 1}
    assert died, "no patient exported twice in one delivery"
    assert all(r["is_deceased"] for r in written["patients"] if r["patient_id"] in died)
    # An encounter delivered again keeps its newest delivery.
    copies: dict[str, dict[str, list[dict]]] = {}
    for day, row in _csv_rows(folder, "encounters"):
        copies.setdefault(row["Id"], {}).setdefault(day, []).append(row)
    assert any(len(days) > 1 for days in copies.values()), "no encounter delivered on both days"
    kept = {r["encounter_id"]: r for r in written["encounters"]}
    for encounter_id, days in copies.items():
        day = max(days)
        stops = [row["STOP"] for row in days[day] if row["STOP"]]
        assert kept[encounter_id]["delivery_date"].isoformat() == day
        assert kept[encounter_id]["end_at"] == (max(map(_utc, stops)) if stops else None), encounter_id


def _csv_rows(folder: Path, table: str) -> list[tuple[str, dict]]:
    rows = []
    for path in sorted(folder.glob(f"ehr/*/{table}.csv")):
        with path.open(newline="", encoding="utf-8") as stream:
            rows += [(path.parent.name, row) for row in csv.DictReader(stream)]
    return rows


def test_an_older_synthea_export_without_a_column_is_read_by_name(tmp_path):
    day = tmp_path / "ehr" / "2026-01-01"
    day.mkdir(parents=True)
    # Synthea v3.0.0: conditions without SYSTEM; its codes are SNOMED CT.
    (day / "conditions.csv").write_text("START,STOP,PATIENT,ENCOUNTER,CODE,DESCRIPTION\n"
                                        "2026-01-01,,p1,e1,44054006,Diabetes\n2026-01-01,,p1,e1,44054006,Diabetes\n")
    with baseline.connect(tmp_path / "spill") as connection:
        files = baseline.ehr_files(tmp_path, "conditions", [START])
        rows = connection.sql(baseline.ehr_table_sql("conditions", files, {"start", "stop", "patient", "encounter",
                                                                           "code", "description"})).fetchall()
    assert rows == [("p1", "e1", "SNOMED-CT", "44054006", "Diabetes", START, None, START)]


def test_the_timing_process_reports_every_part_with_its_memory(landing, tmp_path, capsys):
    folder, _ = landing
    assert end_to_end_timing.main(["--landing", str(folder), "--first-day", DAYS[0].isoformat(),
                                   "--last-day", DAYS[0].isoformat(), "--out", str(tmp_path / "out")]) == 0
    result = json.loads(capsys.readouterr().out)
    assert set(result["parts"]) == set(end_to_end_timing.PARTS)
    for part in result["parts"].values():
        assert part["seconds"] > 0 and part["rows_out"] > 0 and part["peak_memory_bytes"] > 50 * 2**20
    # One day of two: only the first day's files were read.
    assert result["days"] == 1 and result["inputs"]["ehr"]["files"] == 5
    assert set(result["parts"]["ehr"]["tables"]) == set(EHR_KEY_COLUMNS)
    assert not (tmp_path / "out").exists()

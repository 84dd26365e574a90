"""The bronze writer's promises: nothing duplicated, nothing lost, one commit per run."""

from pathlib import Path

import pytest
from deltalake import DeltaTable

from healthcare_dataops.defs.bronze.ehr import EHR_BRONZE_TABLES
from healthcare_dataops.formats.synthea_csv import parse_synthea_csv
from healthcare_dataops.lakehouse.bronze_writer import BronzeWriter, Delivery
from healthcare_dataops.resources import LakehouseResource, LandingZoneResource

HEADER = "Id,START,STOP,PATIENT,ORGANIZATION,PROVIDER,PAYER,ENCOUNTERCLASS,CODE,DESCRIPTION\n"
ENCOUNTERS = EHR_BRONZE_TABLES["encounters"]


def _row(n: int) -> str:
    return f"e{n},2026-01-0{n % 9 + 1}T10:00:00Z,,p{n},o,pr,pa,inpatient,1234,Stay\n"


@pytest.fixture
def zone(tmp_path):
    landing = LandingZoneResource(root=str(tmp_path / "landing"))
    lakehouse = LakehouseResource(root=str(tmp_path / "lakehouse"))
    return tmp_path / "landing", landing, lakehouse


def _deliver(landing_root: Path, day: str, text: str) -> None:
    folder = landing_root / "ehr" / day
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "encounters.csv").write_text(text)


def _run(landing, lakehouse, days):
    writer = BronzeWriter(lakehouse, landing, "ehr_bronze_quarantine")
    deliveries = [
        Delivery(day, f, lambda s, _f: parse_synthea_csv(s, "encounters"))
        for day in days
        for f in landing.files("ehr", day)
    ]
    report = writer.ingest(ENCOUNTERS, days, deliveries)
    return report, writer.commit_quarantine()


def _table(lakehouse, name="ehr_encounters"):
    return DeltaTable(lakehouse.table_uri("bronze", name)).to_pyarrow_table()


def test_rerunning_a_day_replaces_its_rows_in_one_new_version(zone):
    root, landing, lakehouse = zone
    _deliver(root, "2026-01-01", HEADER + _row(1) + _row(2))
    first, _ = _run(landing, lakehouse, ["2026-01-01"])
    second, _ = _run(landing, lakehouse, ["2026-01-01"])
    assert _table(lakehouse).num_rows == 2
    assert second.version == first.version + 1
    assert second.rows_written == 2


def test_identical_file_redelivered_on_a_later_day_is_skipped_and_reported(zone):
    root, landing, lakehouse = zone
    _deliver(root, "2026-01-01", HEADER + _row(1))
    _deliver(root, "2026-01-02", HEADER + _row(1))
    _run(landing, lakehouse, ["2026-01-01"])
    report, _ = _run(landing, lakehouse, ["2026-01-02"])
    assert report.files_skipped == {"ehr/2026-01-02/encounters.csv": "ehr/2026-01-01/encounters.csv"}
    assert report.version is None
    assert _table(lakehouse).num_rows == 1


def test_a_corrected_file_replaces_the_rows_of_the_file_it_corrects(zone):
    root, landing, lakehouse = zone
    _deliver(root, "2026-01-01", HEADER + _row(1) + _row(2))
    _run(landing, lakehouse, ["2026-01-01"])
    _deliver(root, "2026-01-01", HEADER + _row(3))
    _run(landing, lakehouse, ["2026-01-01"])
    assert _table(lakehouse)["id"].to_pylist() == ["e3"]


def test_quarantine_is_replaced_per_file_and_cleared_when_the_file_is_fixed(zone):
    root, landing, lakehouse = zone
    _deliver(root, "2026-01-01", HEADER + _row(1) + "e2,too,few\n")
    report, quarantine = _run(landing, lakehouse, ["2026-01-01"])
    assert (report.rows_written, report.rows_quarantined, quarantine.rows) == (1, 1, 1)
    _run(landing, lakehouse, ["2026-01-01"])
    rows = _table(lakehouse, "ehr_bronze_quarantine").to_pylist()
    assert len(rows) == 1
    assert rows[0]["raw_text"].startswith("e2,too,few")
    assert rows[0]["source_position"] == "line 3"
    _deliver(root, "2026-01-01", HEADER + _row(1) + _row(2))
    _run(landing, lakehouse, ["2026-01-01"])
    assert _table(lakehouse, "ehr_bronze_quarantine").num_rows == 0
    assert _table(lakehouse).num_rows == 2


def test_rows_of_files_gone_from_the_landing_zone_are_kept(zone):
    root, landing, lakehouse = zone
    _deliver(root, "2026-01-01", HEADER + _row(1))
    _run(landing, lakehouse, ["2026-01-01"])
    (root / "ehr" / "2026-01-01" / "encounters.csv").unlink()
    report, _ = _run(landing, lakehouse, ["2026-01-01"])
    assert report.version is None
    assert _table(lakehouse).num_rows == 1


def test_identical_files_without_records_are_not_reported_as_redeliveries(zone):
    root, landing, lakehouse = zone
    for day in ("2026-01-01", "2026-01-02"):
        _deliver(root, day, HEADER)  # a day with nothing new: the header alone
    report, _ = _run(landing, lakehouse, ["2026-01-01", "2026-01-02"])
    assert report.files_skipped == {}
    assert len(report.files_ingested) == 2


def test_a_copy_delivered_in_the_same_run_is_ingested_once(zone):
    root, landing, lakehouse = zone
    _deliver(root, "2026-01-01", HEADER + _row(1))
    _deliver(root, "2026-01-02", HEADER + _row(1))
    report, _ = _run(landing, lakehouse, ["2026-01-01", "2026-01-02"])
    assert report.files_skipped == {"ehr/2026-01-02/encounters.csv": "ehr/2026-01-01/encounters.csv"}
    assert _table(lakehouse).num_rows == 1

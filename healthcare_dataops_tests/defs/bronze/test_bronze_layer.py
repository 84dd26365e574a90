"""The whole bronze layer on generated feeds with every fault kind: nothing lost, nothing twice."""

import shutil

import pyarrow as pa
import pytest

from healthcare_dataops_tests.dagster_helpers import (
    BRONZE_ASSETS,
    materialize_days,
    metadata_by_partition,
    metadata_of,
    read_table,
)

FIRST_DAY, LAST_DAY = "2026-01-01", "2026-01-04"

# The generator names feed tables; bronze keeps each in a table and a source quarantine.
BRONZE_TABLE_OF_FEED = {
    "patients": ("ehr_patients", "ehr_bronze_quarantine"),
    "encounters": ("ehr_encounters", "ehr_bronze_quarantine"),
    "conditions": ("ehr_conditions", "ehr_bronze_quarantine"),
    "medications": ("ehr_medications", "ehr_bronze_quarantine"),
    "observations": ("ehr_observations", "ehr_bronze_quarantine"),
    "lab_results": ("lab_results_raw", "lab_bronze_quarantine"),
    "wearable_readings": ("wearable_readings_raw", "wearable_bronze_quarantine"),
    "device_enrollment": ("wearable_enrollments_raw", "wearable_bronze_quarantine"),
}


@pytest.fixture(scope="module")
def feeds(faulty_lakehouse):
    """60 patients over 4 days with every fault kind (the shared build)."""
    assert (faulty_lakehouse.first_day, faulty_lakehouse.last_day) == (FIRST_DAY, LAST_DAY)
    return faulty_lakehouse.landing, faulty_lakehouse.manifest


@pytest.fixture(scope="module")
def ingested(faulty_lakehouse, feeds):
    """The bronze layer of the shared build: its run materialized bronze with the rest."""
    _, manifest = feeds
    return faulty_lakehouse.result, faulty_lakehouse.lakehouse, manifest


def _rows_per_file(lakehouse, table):
    counts = read_table(lakehouse, "bronze", table).group_by("source_file").aggregate(
        [("source_file", "count")]
    )
    return dict(zip(counts["source_file"].to_pylist(), counts["source_file_count"].to_pylist(), strict=True))


def test_every_delivered_record_is_a_bronze_row_or_a_quarantined_record(ingested):
    result, lakehouse, manifest = ingested
    assert result.success
    counted = {
        table: _rows_per_file(lakehouse, table)
        for pair in BRONZE_TABLE_OF_FEED.values()
        for table in pair
    }
    assert manifest["expected"]["files"]
    for path, expected in manifest["expected"]["files"].items():
        table, quarantine = BRONZE_TABLE_OF_FEED[expected["table"]]
        found = (counted[table].get(path, 0), counted[quarantine].get(path, 0))
        assert found == (expected["rows"], expected["quarantined"]), path


def test_each_bronze_fault_is_quarantined_where_the_manifest_says(ingested):
    _, lakehouse, manifest = ingested
    bronze_faults = [f for f in manifest["faults"] if f["layer"] == "bronze"]
    kinds = {f["kind"] for f in bronze_faults}
    assert {"csv_extra_field", "hl7_truncated_message", "jsonl_broken_json"} <= kinds
    for fault in bronze_faults:
        _, quarantine = BRONZE_TABLE_OF_FEED[fault["table"]]
        rows = read_table(lakehouse, "bronze", quarantine).filter(
            pa.compute.equal(read_table(lakehouse, "bronze", quarantine)["source_file"], fault["file"])
        )
        assert rows.num_rows >= 1, fault
        assert all(reason for reason in rows["reason"].to_pylist())


def test_each_day_materialization_accounts_for_that_days_records(ingested):
    result, _, manifest = ingested
    expected: dict[tuple[str, str], list[int]] = {}
    for path, counts in manifest["expected"]["files"].items():
        key = (counts["table"], path.split("/")[1])
        totals = expected.setdefault(key, [0, 0])
        totals[0] += counts["rows"]
        totals[1] += counts["quarantined"]
    for feed, (table, _) in BRONZE_TABLE_OF_FEED.items():
        by_day = metadata_by_partition(result, table)
        assert sorted(by_day) == ["2026-01-01", "2026-01-02", "2026-01-03", "2026-01-04"]
        for day, metadata in by_day.items():
            rows, quarantined = expected.get((feed, day), (0, 0))
            assert (metadata["dagster/row_count"], metadata["rows_quarantined"]) == (rows, quarantined), (table, day)
            assert metadata["records_delivered"] == rows + quarantined
            assert isinstance(metadata["delta_version"], int)


def _content(lakehouse, table):
    rows = read_table(lakehouse, "bronze", table).drop_columns(["ingested_at"])
    return sorted(map(repr, rows.to_pylist()))


def test_materializing_the_same_days_again_changes_no_row(faulty_lakehouse, tmp_path):
    landing = faulty_lakehouse.landing
    lakehouse = faulty_lakehouse.copy_lakehouse(tmp_path)  # the days materialized once
    tables = [t for pair in BRONZE_TABLE_OF_FEED.values() for t in pair]
    before = {t: _content(lakehouse, t) for t in set(tables)}
    # One day again, then the whole range again: either way the tables hold the same rows.
    materialize_days(BRONZE_ASSETS, "2026-01-02", "2026-01-02", landing=landing, lakehouse=lakehouse)
    result = materialize_days(BRONZE_ASSETS, FIRST_DAY, LAST_DAY, landing=landing, lakehouse=lakehouse)
    assert result.success
    assert {t: _content(lakehouse, t) for t in set(tables)} == before


def test_a_lab_file_delivered_again_under_a_new_name_is_ingested_once(feeds, tmp_path):
    landing, _ = feeds
    copy = tmp_path / "landing"
    shutil.copytree(landing, copy)
    first_lab_file = sorted((copy / "labs" / FIRST_DAY).glob("*.hl7"))[0]
    resent = copy / "labs" / "2026-01-02" / f"resent_{first_lab_file.name}"
    shutil.copyfile(first_lab_file, resent)
    lakehouse = tmp_path / "lakehouse"
    materialize_days(BRONZE_ASSETS, FIRST_DAY, FIRST_DAY, landing=copy, lakehouse=lakehouse)
    rows_before = read_table(lakehouse, "bronze", "lab_results_raw").num_rows

    result = materialize_days(BRONZE_ASSETS, "2026-01-02", "2026-01-02", landing=copy, lakehouse=lakehouse)

    metadata = metadata_of(result, "lab_results_raw", "2026-01-02")
    assert metadata["files_skipped_as_redelivered"] == 1
    assert metadata["redelivered_files"] == {
        f"labs/2026-01-02/{resent.name}": f"labs/{FIRST_DAY}/{first_lab_file.name}"
    }
    day_two = read_table(lakehouse, "bronze", "lab_results_raw").num_rows - rows_before
    assert day_two == metadata["dagster/row_count"]
    assert f"labs/2026-01-02/{resent.name}" not in _rows_per_file(lakehouse, "lab_results_raw")

"""Bronze → silver through Dagster on generated feeds with every fault kind."""


import dagster as dg
import pyarrow.compute as pc
import pytest
from deltalake import DeltaTable

from healthcare_dataops.lakehouse.silver_writer import QUARANTINE_COLUMNS
from healthcare_dataops.transforms.ehr import PATIENTS
from healthcare_dataops_tests.dagster_helpers import (
    lakehouse_assets,
    materialize_days,
    metadata_by_partition,
    metadata_of,
    read_table,
)

FIRST_DAY, LAST_DAY = "2026-01-01", "2026-01-04"
DAYS = ["2026-01-01", "2026-01-02", "2026-01-03", "2026-01-04"]

SILVER_FROM_BRONZE = {
    "patients": "ehr_patients",
    "encounters": "ehr_encounters",
    "conditions": "ehr_conditions",
    "medications": "ehr_medications",
    "observations": "ehr_observations",
    "lab_results": "lab_results_raw",
    "device_enrollments": "wearable_enrollments_raw",
    "wearable_readings": "wearable_readings_raw",
}


@pytest.fixture(scope="module")
def silver(faulty_lakehouse):
    """60 patients over 4 days with every fault kind, bronze to gold (the shared build)."""
    assert (faulty_lakehouse.first_day, faulty_lakehouse.last_day) == (FIRST_DAY, LAST_DAY)
    return faulty_lakehouse.result, faulty_lakehouse.root, faulty_lakehouse.manifest


def _count_by_day(table):
    counts = table.group_by("delivery_date").aggregate([("delivery_date", "count")])
    return {d.isoformat(): n for d, n in zip(counts["delivery_date"].to_pylist(),
                                             counts["delivery_date_count"].to_pylist(), strict=True)}


def test_every_bronze_row_is_silver_quarantined_or_a_removed_duplicate(silver):
    result, root, _ = silver
    assert result.success
    lakehouse = root / "lakehouse"
    for table, bronze in SILVER_FROM_BRONZE.items():
        bronze_by_day = _count_by_day(read_table(lakehouse, "bronze", bronze))
        quarantine_by_day = _count_by_day(read_table(lakehouse, "silver", f"{table}_quarantine"))
        for day, metadata in metadata_by_partition(result, table).items():
            accounted = metadata["dagster/row_count"] + metadata["rows_quarantined"] + metadata["duplicates_removed"]
            assert metadata["rows_in"] == bronze_by_day.get(day, 0) == accounted, (table, day)
            assert metadata["rows_quarantined"] == quarantine_by_day.get(day, 0), (table, day)
        silver_rows = read_table(lakehouse, "silver", table).num_rows
        total = lambda key: sum(m[key] for m in metadata_by_partition(result, table).values())  # noqa: E731, B023
        # One run, nothing older to supersede: what was written is what the table holds.
        assert silver_rows == total("dagster/row_count"), table


def _catalog_columns(lakehouse, layer, table, metadata) -> list[str]:
    """Check the catalog entries of a materialization against the Delta table; its columns."""
    uri = lakehouse / layer / table
    assert metadata["dagster/uri"] == str(uri), table
    assert metadata["dagster/table_name"] == f"{layer}.{table}"
    written = DeltaTable(str(uri)).schema().to_arrow()
    columns = [(c.name, c.type) for c in metadata["dagster/column_schema"].columns]
    assert [name for name, _ in columns] == [f.name for f in written], table
    return [name for name, _ in columns]


def test_every_layer_tells_a_catalog_its_table_uri_name_and_columns(silver):
    result, root, _ = silver
    lakehouse = root / "lakehouse"
    patients = metadata_by_partition(result, "patients")[LAST_DAY]
    assert set(_catalog_columns(lakehouse, "silver", "patients", patients)) == set(PATIENTS.columns)
    quarantine = metadata_by_partition(result, "patients_quarantine")[LAST_DAY]
    assert set(_catalog_columns(lakehouse, "silver", "patients_quarantine", quarantine)) == set(QUARANTINE_COLUMNS)
    _catalog_columns(lakehouse, "silver", "wearable_vitals", metadata_by_partition(result, "wearable_vitals")[LAST_DAY])
    _catalog_columns(lakehouse, "gold", "patient_features", metadata_of(result, "patient_features"))
    bronze = metadata_by_partition(result, "ehr_patients")[LAST_DAY]
    assert "id" in _catalog_columns(lakehouse, "bronze", "ehr_patients", bronze)
    assert "table_uri" not in bronze
    # Column lineage: the pseudonym comes from the bronze Id (or the FHIR Patient's MRN), in the
    # table and its quarantine.
    id_of_bronze = [dg.TableColumnDep(asset_key=dg.AssetKey("ehr_patients"), column_name="id"),
                    dg.TableColumnDep(asset_key=dg.AssetKey("fhir_resources"), column_name="resource_json")]
    assert patients["dagster/column_lineage"].deps_by_column["patient_id"] == id_of_bronze
    assert quarantine["dagster/column_lineage"].deps_by_column["patient_id"] == id_of_bronze


def _quarantined_at(lakehouse, table, bronze, fault):
    """The silver quarantine row of the bronze record the manifest says the fault is in."""
    files = read_table(lakehouse, "bronze", bronze).select(["source_file", "source_file_sha256"])
    sha = files.filter(pc.equal(files["source_file"], fault["file"]))["source_file_sha256"][0].as_py()
    position = fault["position"]
    where = (
        f"message {position['message']}, segment {position['segment']}"
        if "message" in position else f"record {position['line']}"
    )
    quarantine = read_table(lakehouse, "silver", f"{table}_quarantine").to_pylist()
    return [q for q in quarantine if q["source_file_sha256"] == sha and q["source_position"] == where]


EXPECTED_REASON = {
    "heart_rate_impossible": "physiologically impossible: above the possible range",
    "spo2_impossible": "physiologically impossible: above the possible range",
    "steps_negative": "physiologically impossible: below the possible range",
    "lab_unknown_unit": "unit is not a known unit of the analyte",
}
# A row has one reason, the first that applies: a fault planted in the data of a device whose
# enrollment was itself corrupted is quarantined as unattributable instead.
EARLIER_REASONS = {
    "device not enrolled to a patient", "patient not in silver patients (missing, or quarantined upstream)",
}


def test_each_silver_level_fault_is_quarantined_with_its_reason(silver):
    result, root, manifest = silver
    lakehouse = root / "lakehouse"
    faults = [f for f in manifest["faults"] if f["kind"] in EXPECTED_REASON]
    assert {f["kind"] for f in faults} == set(EXPECTED_REASON)
    for fault in faults:
        table = fault["table"]
        rows = _quarantined_at(lakehouse, table, SILVER_FROM_BRONZE[table], fault)
        assert len(rows) == 1, fault
        assert rows[0]["reason"] in {EXPECTED_REASON[fault["kind"]], *EARLIER_REASONS}, (fault, rows[0])
    # A lab message delivered again (same MSH-10) is removed as a duplicate, not stored twice.
    lab_metadata = metadata_by_partition(result, "lab_results")
    assert sum(m["duplicates_removed"] for m in lab_metadata.values()) > 0


def test_late_wearable_data_lands_on_the_day_it_was_measured(silver):
    _, root, manifest = silver
    late = [f for f in manifest["faults"] if f["kind"] == "late_arrival"]
    assert late, manifest.get("skipped_faults")
    readings = read_table(root / "lakehouse", "silver", "wearable_readings")
    delivered_late = readings.filter(pc.equal(readings["delivery_date"], pc.max(readings["delivery_date"])))
    days_measured = set(delivered_late["measured_date"].to_pylist())
    # Dates are shifted back 1 to 30 days per patient, so compare against the delivery itself:
    # the late points sit on an earlier measured day than the rest of that delivery.
    assert len(days_measured) > 1


def test_no_pseudonymous_row_points_at_a_missing_patient(silver):
    _, root, _ = silver
    lakehouse = root / "lakehouse"
    patients = set(read_table(lakehouse, "silver", "patients")["patient_id"].to_pylist())
    for table in ("encounters", "lab_results", "wearable_readings"):
        ids = set(read_table(lakehouse, "silver", table)["patient_id"].to_pylist())
        assert ids <= patients, (table, len(ids - patients))


def test_rerunning_silver_for_the_same_days_changes_no_row(silver, faulty_lakehouse, tmp_path):
    _, root, _ = silver
    lakehouse = faulty_lakehouse.copy_lakehouse(tmp_path)
    tables = [*SILVER_FROM_BRONZE, *(f"{t}_quarantine" for t in SILVER_FROM_BRONZE), "wearable_vitals"]
    before = {t: sorted(map(repr, read_table(lakehouse, "silver", t).to_pylist())) for t in tables}
    again = materialize_days(lakehouse_assets(), "2026-01-02", "2026-01-03", landing=root / "landing",
                             lakehouse=lakehouse)
    assert again.success
    after = {t: sorted(map(repr, read_table(lakehouse, "silver", t).to_pylist())) for t in tables}
    changed = [t for t in tables if before[t] != after[t]]
    assert not changed

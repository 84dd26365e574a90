import csv

from healthcare_dataops.defs.bronze.ehr import ehr_bronze
from healthcare_dataops_tests.dagster_helpers import (
    deliver,
    materialize_days,
    metadata_of,
    read_table,
)

DAY = "2026-01-05"
TABLES = ("patients", "encounters", "conditions", "medications", "observations")


def _records_in(path):
    with path.open(newline="", encoding="utf-8-sig") as stream:
        return sum(1 for _ in csv.reader(stream)) - 1


def test_real_synthea_v3_export_lands_in_bronze_row_for_row(samples_dir, tmp_path):
    synthea = samples_dir / "synthea_csv"
    deliver(sorted(synthea.glob("*.csv")), tmp_path / "landing", "ehr", DAY)

    result = materialize_days([ehr_bronze], DAY, DAY, landing=tmp_path / "landing", lakehouse=tmp_path / "lakehouse")

    assert result.success
    for table in TABLES:
        rows = read_table(tmp_path / "lakehouse", "bronze", f"ehr_{table}")
        assert rows.num_rows == _records_in(synthea / f"{table}.csv"), table
        metadata = metadata_of(result, f"ehr_{table}")
        assert metadata["rows_quarantined"] == 0
        assert metadata["records_delivered"] == rows.num_rows
        assert set(rows["source_file"].to_pylist()) == {f"ehr/{DAY}/{table}.csv"}
    patients = read_table(tmp_path / "lakehouse", "bronze", "ehr_patients").to_pylist()
    # Synthea v3.0.0 has no MIDDLE, FIPS or INCOME column: mapped by name, left empty.
    assert all(p["middle"] is None and p["fips"] is None and p["income"] is None for p in patients)
    assert {p["gender"] for p in patients} <= {"M", "F"}
    assert all(p["source_line"] >= 2 for p in patients)
    # Tables the pipeline does not ingest stay in the landing zone and are reported.
    assert f"ehr/{DAY}/allergies.csv" in metadata_of(result, "ehr_patients")["files_not_ingested"]


def test_preview_shows_no_phi(samples_dir, tmp_path):
    deliver(sorted((samples_dir / "synthea_csv").glob("*.csv")), tmp_path / "landing", "ehr", DAY)
    result = materialize_days([ehr_bronze], DAY, DAY, landing=tmp_path / "landing", lakehouse=tmp_path / "lakehouse")
    patients = read_table(tmp_path / "lakehouse", "bronze", "ehr_patients").to_pylist()
    phi = {p[c] for p in patients for c in ("first", "last", "ssn", "address", "id", "birthdate") if p[c]}
    observations = read_table(tmp_path / "lakehouse", "bronze", "ehr_observations").to_pylist()
    phi |= {o["value"] for o in observations if o["code"] == "56799-0"}  # addresses
    for table in TABLES:
        preview = metadata_of(result, f"ehr_{table}")["preview"]
        assert not [value for value in phi if value in preview], table

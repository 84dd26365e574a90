"""The same assets on an S3 lakehouse (a local S3-compatible server) as on a local one."""

from deltalake import DeltaTable

from healthcare_dataops.cli import main as cli
from healthcare_dataops.lakehouse import storage
from healthcare_dataops_tests.dagster_helpers import (
    lakehouse_assets,
    materialize_days,
    read_table,
)

DAYS = ("2026-01-01", "2026-01-02")
SILVER_TABLES = (
    "patients", "encounters", "lab_results", "lab_results_quarantine", "wearable_readings",
    "wearable_vitals", "observations_quarantine",
)


def _rows(uri: str) -> list[str]:
    table = DeltaTable(uri, storage_options=storage.storage_options(uri)).to_pyarrow_table()
    return sorted(map(repr, table.to_pylist()))


def test_assets_on_s3_write_what_they_write_locally(s3_bucket, tmp_path):
    cli(["generate", "--landing", str(tmp_path / "landing"), "--side", str(tmp_path / "side"),
         "--patients", "50", "--days", "2", "--start-date", DAYS[0], "--quiet"])
    local = materialize_days(lakehouse_assets(), *DAYS, landing=tmp_path / "landing", lakehouse=tmp_path / "local")
    on_s3 = materialize_days(lakehouse_assets(), *DAYS, landing=tmp_path / "landing", lakehouse=s3_bucket)
    assert local.success and on_s3.success
    for table in SILVER_TABLES:
        assert _rows(f"{s3_bucket}/silver/{table}") == _rows(str(tmp_path / "local" / "silver" / table)), table
    assert read_table(tmp_path / "local", "bronze", "lab_results_raw").num_rows == len(
        _rows(f"{s3_bucket}/bronze/lab_results_raw")
    )

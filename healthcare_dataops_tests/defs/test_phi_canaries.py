"""PHI planted in the generated EHR never leaves bronze: silver, gold, quarantines, the event
log, and the MLflow store and artifacts."""

import csv
import io
from pathlib import Path

import dagster as dg
from deltalake import DeltaTable

from healthcare_dataops.cli import main as cli
from healthcare_dataops.defs.ml.patient_risk_scores import patient_risk_scores
from healthcare_dataops.defs.ml.risk_model import risk_model
from healthcare_dataops_tests.dagster_helpers import lakehouse_assets, materialize_days

DAY = "2026-01-01"
PHI_COLUMNS = ("SSN", "DRIVERS", "PASSPORT", "FIRST", "MIDDLE", "LAST", "MAIDEN", "ADDRESS", "CITY", "COUNTY", "PHONE", "BIRTHPLACE")


def _plant_canaries(landing: Path) -> list[str]:
    """Replace every PHI value of every patient (and the 56799-0 addresses) with a canary."""
    canaries = []
    patients_file = landing / "ehr" / DAY / "patients.csv"
    rows = list(csv.DictReader(io.StringIO(patients_file.read_text())))
    for n, row in enumerate(rows):
        for column in PHI_COLUMNS:
            if column in row:
                row[column] = f"CANARY{column}{n:04d}X"
                canaries.append(row[column])
    _write(patients_file, rows)
    observations_file = landing / "ehr" / DAY / "observations.csv"
    observations = list(csv.DictReader(io.StringIO(observations_file.read_text())))
    for n, row in enumerate(observations):
        if row["CODE"] == "56799-0":
            row["VALUE"] = f"CANARYOBSADDRESS{n:05d}X"
            canaries.append(row["VALUE"])
    _write(observations_file, observations)
    return canaries


def _write(path: Path, rows: list[dict]) -> None:
    with path.open("w", newline="") as stream:
        writer = csv.DictWriter(stream, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def _texts_of_layer(lakehouse: Path, layer: str) -> dict[str, str]:
    return {
        table.name: DeltaTable(str(table)).to_pyarrow_table().to_pandas().to_csv(index=False)
        for table in sorted((lakehouse / layer).iterdir())
    }


def _files_containing(folder: Path, text: bytes) -> list[str]:
    return [str(p) for p in folder.rglob("*") if p.is_file() and text in p.read_bytes()]


def test_no_phi_canary_reaches_silver_gold_mlflow_or_the_event_log(tmp_path):
    cli(["generate", "--landing", str(tmp_path / "landing"), "--side", str(tmp_path / "side"),
         "--patients", "80", "--days", "1", "--start-date", DAY, "--quiet"])
    canaries = _plant_canaries(tmp_path / "landing")
    assert len(canaries) > 500
    instance = dg.DagsterInstance.ephemeral()
    days = dict(landing=tmp_path / "landing", lakehouse=tmp_path / "lakehouse", instance=instance)
    results = [materialize_days(lakehouse_assets(), DAY, DAY, **days)]
    # One day labels only the history the first export brought: train on it, forced to champion.
    model_config = {"force_promotion": True, "min_labelled_rows": 20, "require_lab_results": False}
    results.append(materialize_days([risk_model, patient_risk_scores], DAY, DAY, **days,
                                    run_config={"ops": {"risk_model": {"config": model_config}}}))
    assert all(r.success for r in results)

    bronze = "\n".join(_texts_of_layer(tmp_path / "lakehouse", "bronze").values())
    assert sum(c in bronze for c in canaries) == len(canaries)  # planted where PHI belongs

    for layer in ("silver", "gold"):
        for table, text in _texts_of_layer(tmp_path / "lakehouse", layer).items():
            assert not [c for c in canaries if c in text], table
    assert {"patient_features", "patient_risk_scores"} <= set(_texts_of_layer(tmp_path / "lakehouse", "gold"))
    # Canaries share a prefix, so one search covers every event: logs, metadata, check results,
    # and every byte MLflow stored: the sqlite store (params, tags, metrics) and the artifacts.
    for result in results:
        for record in instance.get_records_for_run(result.run_id).records:
            assert "CANARY" not in str(record.event_log_entry), record.event_log_entry.dagster_event_type
    assert (tmp_path / "mlflow" / "mlflow.db").is_file()
    assert any((tmp_path / "mlflow" / "artifacts").rglob("*.png"))
    assert _files_containing(tmp_path / "mlflow", b"CANARY") == []

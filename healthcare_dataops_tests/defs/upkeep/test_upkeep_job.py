"""lakehouse_upkeep_job through Dagster: a champion's training rows survive, nothing else old does."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import dagster as dg
import pytest
from deltalake import DeltaTable
from mlflow import MlflowClient

from healthcare_dataops import settings
from healthcare_dataops.defs.upkeep.jobs import lakehouse_upkeep_job
from healthcare_dataops.defs.upkeep.ops import model_lineage_versions, upkeep_lakehouse_tables
from healthcare_dataops.defs.upkeep.schedules import lakehouse_upkeep_schedule
from healthcare_dataops.lakehouse.table_upkeep import TableUpkeep
from healthcare_dataops.ml import lineage, registry
from healthcare_dataops.resources import LakehouseResource
from healthcare_dataops_tests.dagster_helpers import model_resources
from healthcare_dataops_tests.defs.monitoring import lakehouse_with_champion as lake
from healthcare_dataops_tests.lakehouse.test_table_upkeep import NO_RETENTION, append_small_files, data_files
from healthcare_dataops_tests.ml import synthetic_features

NEW_YORK = ZoneInfo("America/New_York")
MODEL = "readmission_risk"


def _upkeep(root: Path, job: dg.JobDefinition = lakehouse_upkeep_job, config: dict | None = NO_RETENTION,
            lakehouse: Path | None = None) -> dg.ExecuteInProcessResult:
    """A run over ``root``/lakehouse (or ``lakehouse``) with ``root``'s MLflow store;
    ``config=None`` is the schedule's run, on the defaults."""
    resources = model_resources(root)
    return job.execute_in_process(
        resources={"lakehouse": LakehouseResource(root=str(lakehouse)) if lakehouse else resources["lakehouse"],
                   "mlflow_tracking": resources["mlflow_tracking"]},
        run_config={"ops": {upkeep_lakehouse_tables.name: {"config": config}}} if config else None,
        raise_on_error=False,
    )


def _step_metadata(result: dg.ExecuteInProcessResult, op: str) -> dict[str, object]:
    [event] = [e for e in result.all_node_events if e.is_successful_output and e.node_name == op]
    return {k: v.value for k, v in event.step_output_data.metadata.items()}


def _client(root: Path) -> MlflowClient:
    return MlflowClient(tracking_uri=f"sqlite:///{root}/mlflow/mlflow.db")


def _training_rows(root: Path):
    client = _client(root)
    return lineage.training_rows(client, registry.champion_version(client, MODEL), {})


@pytest.fixture(scope="module")
def lakehouse(tmp_path_factory):
    """A champion trained on patient_features v0, two overwrites since (v1, v2), and bronze and
    silver tables of many small appends; upkeep with no retention, so only protection keeps a file."""
    root = tmp_path_factory.mktemp("upkeep")
    frame, _ = synthetic_features.build(500)  # a champion, not a good one
    lake.write_features(root, frame)
    trained = lake.train_champion(root)
    for _ in range(2):
        lake.write_features(root, frame)  # the daily runs rebuild it whole
    bronze = append_small_files(str(root / "lakehouse" / "bronze" / "lab_results_raw"))
    append_small_files(str(root / "lakehouse" / "silver" / "lab_results"), appends=6)
    result = _upkeep(root)
    return {"root": root, "trained": trained, "bronze": bronze, "result": result,
            "training_rows": len(_training_rows(root))}


def test_the_job_compacts_and_vacuums_every_table(lakehouse):
    result = lakehouse["result"]
    assert result.success
    reports: list[TableUpkeep] = result.output_for_node(upkeep_lakehouse_tables.name)
    by_table = {f"{r.table.layer}/{r.table.name}": r for r in reports}
    assert list(by_table) == ["bronze/lab_results_raw", "silver/lab_results", "gold/patient_features"]
    bronze = by_table["bronze/lab_results_raw"]
    assert (bronze.files_before, bronze.files_after) == (17, 3)
    assert bronze.rows_before == bronze.rows_after == lakehouse["bronze"].num_rows
    assert DeltaTable(bronze.table.uri).to_pyarrow_table().num_rows == lakehouse["bronze"].num_rows
    assert by_table["silver/lab_results"].files_after < by_table["silver/lab_results"].files_before


def test_the_champions_training_version_is_kept_and_nothing_else_old(lakehouse):
    root, trained = lakehouse["root"], lakehouse["trained"]
    features = lakehouse["result"].output_for_node(upkeep_lakehouse_tables.name)[-1]
    assert features.table.name == "patient_features" and features.versions_kept == (0,)
    assert features.log_cleanup_switched_off
    # The drift report's reference: the champion's rows, split again, still read and still match.
    assert lakehouse["training_rows"] == trained["train_rows"]
    uri = str(root / "lakehouse" / "gold" / "patient_features")
    with pytest.raises(FileNotFoundError):
        DeltaTable(uri, version=1).to_pyarrow_table()
    assert features.files_vacuumed == 1  # v1's file; v0's is protected and v2's is current


def test_the_steps_report_what_they_kept_and_changed(lakehouse):
    result = lakehouse["result"]
    lineage_metadata = _step_metadata(result, model_lineage_versions.name)
    assert lineage_metadata["protected_versions"] == 1
    assert f"gold/patient_features v0: {MODEL} v1 (champion)" in lineage_metadata["lineage"]
    upkeep = _step_metadata(result, upkeep_lakehouse_tables.name)
    assert upkeep["tables"] == 3 and upkeep["retention_hours"] == 0
    assert upkeep["files_after"] < upkeep["files_before"] and upkeep["bytes_after"] > 0
    assert upkeep["files_vacuumed"] >= 24 + 2 - 1 + 1
    assert upkeep["read_seconds_before"] > 0 and upkeep["read_seconds_after"] > 0
    assert "| bronze/lab_results_raw | 17 → 3 |" in upkeep["summary"]
    assert "| gold/patient_features | 1 → 1 |" in upkeep["summary"] and "| 0 |" in upkeep["summary"]


def test_a_version_that_cannot_be_kept_fails_its_table_only(lakehouse):
    """A challenger whose lineage names a version bronze/ehr_patients does not have: that table
    is not vacuumed, the tables after it are, and the step fails naming it (run without the
    job's retries, which would only repeat it)."""
    root = lakehouse["root"]
    client = _client(root)
    bronze, silver = root / "lakehouse" / "bronze" / "ehr_patients", root / "lakehouse" / "silver" / "encounters"
    append_small_files(str(bronze), appends=6)
    append_small_files(str(silver), appends=6)
    bronze_files = data_files(bronze)
    challenger = client.create_model_version(MODEL, source=str(root / "nowhere"), tags={
        lineage.FEATURES_URI_TAG: str(bronze), lineage.FEATURES_VERSION_TAG: "99"})
    client.set_registered_model_alias(MODEL, "challenger", challenger.version)
    try:
        result = _upkeep(root, lakehouse_upkeep_job.graph.to_job(name="upkeep_without_retries"))
    finally:
        client.delete_registered_model_alias(MODEL, "challenger")
    assert not result.success
    [failure] = [e for e in result.all_events if e.is_step_failure]
    assert failure.step_key == upkeep_lakehouse_tables.name
    assert "upkeep failed for bronze/ehr_patients (see the step's log)" in failure.step_failure_data.error.message
    assert bronze_files <= data_files(bronze)  # compacted, perhaps, but nothing deleted
    assert len(DeltaTable(str(silver)).file_uris()) == 3 and len(data_files(silver)) == 3
    assert len(_training_rows(root)) == lakehouse["trained"]["train_rows"]


def test_without_the_alias_the_old_version_is_vacuumed(lakehouse):
    """The protection is what keeps the rows: once no alias names v0, upkeep deletes it."""
    root = lakehouse["root"]
    client = _client(root)
    version = registry.champion_version(client, MODEL).version
    client.delete_registered_model_alias(MODEL, "champion")
    try:
        assert _upkeep(root).success
        with pytest.raises(lineage.LineageError, match="cannot be read"):
            lineage.training_rows(client, client.get_model_version(MODEL, version), {})
    finally:
        client.set_registered_model_alias(MODEL, "champion", version)


@pytest.fixture
def new_york():
    if settings.hospital_timezone().key != NEW_YORK.key:
        pytest.skip("these expectations are for HEALTHCARE_DATAOPS_HOSPITAL_TIMEZONE=America/New_York")


@pytest.mark.usefixtures("new_york")
def test_the_schedule_runs_the_job_on_sundays_at_three_local_and_starts_stopped():
    assert lakehouse_upkeep_schedule.job_name == lakehouse_upkeep_job.name
    assert (lakehouse_upkeep_schedule.cron_schedule, lakehouse_upkeep_schedule.execution_timezone) == (
        "0 3 * * 0", "America/New_York")
    assert lakehouse_upkeep_schedule.default_status == dg.DefaultScheduleStatus.STOPPED
    # The Sunday clocks spring forward: 03:00 is the first minute after the skipped hour.
    spring_forward = dt.datetime(2026, 3, 8, 3, tzinfo=NEW_YORK)
    request = lakehouse_upkeep_schedule(dg.build_schedule_context(scheduled_execution_time=spring_forward))
    assert request.run_key == "2026-03-08"
    assert request.run_config == {}  # the job's defaults: a week's retention


def test_by_default_a_week_of_removed_files_stays(lakehouse, tmp_path):
    """The schedule's run: retention 168 h, so today's compaction deletes nothing yet."""
    rows = append_small_files(str(tmp_path / "bronze" / "lab_results_raw"), appends=6)
    result = _upkeep(lakehouse["root"], config=None, lakehouse=tmp_path)
    [report] = result.output_for_node(upkeep_lakehouse_tables.name)
    assert (report.files_before, report.files_after, report.files_vacuumed) == (5, 3, 0)
    assert DeltaTable(report.table.uri, version=0).to_pyarrow_table().num_rows == 3
    assert DeltaTable(report.table.uri).to_pyarrow_table().num_rows == rows.num_rows


def test_the_job_and_schedule_load_beside_the_projects_definitions():
    """What definitions.py will hold: the resource keys the ops ask for are the project's."""
    from healthcare_dataops.definitions import defs

    merged = dg.Definitions.merge(
        defs, dg.Definitions(jobs=[lakehouse_upkeep_job], schedules=[lakehouse_upkeep_schedule]))
    dg.Definitions.validate_loadable(merged)
    job = merged.resolve_job_def(lakehouse_upkeep_job.name)
    assert {"lakehouse", "mlflow_tracking"} <= job.required_resource_keys
    assert merged.resolve_schedule_def(lakehouse_upkeep_schedule.name).job_name == job.name

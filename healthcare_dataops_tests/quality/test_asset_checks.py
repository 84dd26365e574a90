"""GX suites as Dagster asset checks, run through real materializations."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import great_expectations.expectations as gxe
import pandas

from healthcare_dataops.quality import TableCheck, gx_table_checks
from healthcare_dataops_tests.quality.frames import FrameBatch
from healthcare_dataops_tests.quality.table_folder import TableFolder

VISITS = pandas.DataFrame(
    {
        "patient_id": ["p1", "p2", "p3", "p4"],
        "full_name": ["Jane Roe", "John Doe", "Ann Poe", "Jim Moe"],
        "sex": ["F", "M", "X", "F"],
    }
)


@dg.asset
def visits(tables: TableFolder) -> None:
    VISITS.to_parquet(tables.path("visits"))


@dg.asset(deps=[visits])
def visit_summary(tables: TableFolder) -> None:
    pandas.read_parquet(tables.path("visits")).groupby("sex").size().to_frame("n").to_parquet(
        tables.path("visit_summary")
    )


def load_visits(context: dg.AssetCheckExecutionContext, tables: TableFolder) -> FrameBatch:
    return FrameBatch(pandas.read_parquet(tables.path("visits")))


def sex_in_binary_set(context):
    return [gxe.ExpectColumnValuesToBeInSet(column="sex", value_set=["F", "M"])]


def names_are_short(context):
    return [gxe.ExpectColumnValueLengthsToBeBetween(column="full_name", max_value=7)]


def passes(context):
    return [gxe.ExpectColumnValuesToNotBeNull(column="patient_id")]


def materialize(tmp_path: Path, critical, warnings, allowed=None, also=()) -> dg.ExecuteInProcessResult:
    checks = gx_table_checks(
        asset=visits.key, table_name="visits", batch=load_visits,
        critical=critical, warnings=warnings, example_columns_allowed=allowed, also=also,
    )
    return dg.materialize(
        [visits, visit_summary, checks],
        resources={"tables": TableFolder(root=str(tmp_path))},
        raise_on_error=False,
    )


def evaluation(result: dg.ExecuteInProcessResult, check_name: str):
    [found] = [e for e in result.get_asset_check_evaluations() if e.check_name == check_name]
    return found


def materialized(result: dg.ExecuteInProcessResult) -> set[str]:
    return {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}


def test_the_factory_declares_a_blocking_and_a_warning_check_in_one_step():
    checks = gx_table_checks(
        asset="visits", table_name="visits", batch=load_visits,
        critical=passes, warnings=passes,
    )
    specs = {spec.name: spec.blocking for spec in checks.check_specs}
    assert specs == {"critical_expectations": True, "quality_warnings": False}
    assert checks.node_def.name == "visits_checks"  # one step for every check of the table
    # The resource named by the batch's parameter is required by the step.
    assert "tables" in checks.required_resource_keys


def test_a_further_check_of_the_table_runs_in_the_same_step(tmp_path):
    def row_count(context, tables: TableFolder) -> dg.AssetCheckResult:
        rows = len(pandas.read_parquet(tables.path("visits")))
        return dg.AssetCheckResult(asset_key="visits", check_name="has_rows", passed=rows > 0, metadata={"rows": rows})

    also = [TableCheck("has_rows", "The table has rows.", row_count)]
    result = materialize(tmp_path, critical=passes, warnings=passes, also=also)
    assert result.success
    assert evaluation(result, "has_rows").metadata["rows"].value == 4
    steps = {e.step_key for e in result.all_events if e.step_key and "checks" in e.step_key}
    assert steps == {"visits_checks"}


def test_a_failing_critical_check_blocks_the_downstream_asset(tmp_path):
    result = materialize(tmp_path, critical=sex_in_binary_set, warnings=passes)
    failed = evaluation(result, "critical_expectations")
    assert not failed.passed
    assert failed.severity == dg.AssetCheckSeverity.ERROR
    # Dagster fails the check step itself, so the run fails and the downstream never runs.
    assert not result.success
    assert materialized(result) == {"visits"}
    assert not (tmp_path / "visit_summary.parquet").exists()


def test_a_failing_warning_check_does_not_block(tmp_path):
    result = materialize(tmp_path, critical=passes, warnings=sex_in_binary_set)
    assert evaluation(result, "critical_expectations").passed
    warned = evaluation(result, "quality_warnings")
    assert not warned.passed
    assert warned.severity == dg.AssetCheckSeverity.WARN
    assert result.success
    assert materialized(result) == {"visits", "visit_summary"}


def test_metadata_shows_counts_and_examples_only_for_allowed_columns(tmp_path):
    def both(context):
        return [*sex_in_binary_set(context), *names_are_short(context)]

    result = materialize(tmp_path, critical=passes, warnings=both, allowed={"sex", "patient_id"})
    metadata = {k: v.value for k, v in evaluation(result, "quality_warnings").metadata.items()}
    # Two chunks of two rows, added up.
    assert metadata["rows_evaluated"] == 4
    assert metadata["expectations_evaluated"] == 2
    assert metadata["failed_expectations"] == 2
    sex_row, name_row = metadata["outcomes"].splitlines()[2:]
    assert "| sex |" in sex_row and "| 1 | 25.00 | X |" in sex_row
    assert "| full_name |" in name_row and "| 2 | 50.00 | (hidden) |" in name_row
    assert not any(name in metadata["outcomes"] for name in VISITS["full_name"])


def test_expectations_can_use_resources_known_only_at_check_time(tmp_path):
    """Referential integrity: the set of known patients is read when the check runs."""
    pandas.DataFrame({"patient_id": ["p1", "p2", "p3"]}).to_parquet(tmp_path / "patients.parquet")

    def known_patients(context, tables: TableFolder):
        known = pandas.read_parquet(tables.path("patients"))["patient_id"].tolist()
        return [gxe.ExpectColumnValuesToBeInSet(column="patient_id", value_set=known)]

    result = materialize(tmp_path, critical=known_patients, warnings=passes, allowed={"patient_id"})
    failed = evaluation(result, "critical_expectations")
    assert not failed.passed
    assert "| 1 | 25.00 | p4 |" in failed.metadata["outcomes"].value

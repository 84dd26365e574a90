"""How a check learns which delivery days its run covers."""

# No `from __future__ import annotations`: Dagster rejects a string "dg.AssetExecutionContext"
# annotation on `context`.


import dagster as dg
import great_expectations.expectations as gxe
import pandas

from healthcare_dataops.quality import gx_table_checks, run_partition_keys
from healthcare_dataops_tests.quality.frames import FrameBatch
from healthcare_dataops_tests.quality.table_folder import TableFolder

DAYS = dg.DailyPartitionsDefinition(start_date="2024-03-01")
RANGE_TAGS = {
    "dagster/asset_partition_range_start": "2024-03-02",
    "dagster/asset_partition_range_end": "2024-03-04",
}


@dg.asset(partitions_def=DAYS, backfill_policy=dg.BackfillPolicy.single_run())
def readings(context: dg.AssetExecutionContext, tables: TableFolder) -> None:
    for day in context.partition_keys:
        pandas.DataFrame({"day": [day, day], "heart_rate": [61, 72]}).to_parquet(
            tables.path(f"readings-{day}")
        )


@dg.asset
def devices() -> None:
    pass


def recorder(asset, seen: dict[str, object]) -> dg.AssetChecksDefinition:
    @dg.asset_check(asset=asset, name="records_partitions")
    def _check(context: dg.AssetCheckExecutionContext) -> dg.AssetCheckResult:
        seen["keys"] = run_partition_keys(context, asset.partitions_def)
        return dg.AssetCheckResult(passed=True)

    return _check


def test_a_single_run_backfill_check_sees_every_day_of_the_range(tmp_path):
    loaded: list[list[str]] = []

    def load_days(context, tables: TableFolder) -> FrameBatch:
        days = run_partition_keys(context, DAYS)
        loaded.append(days)
        return FrameBatch(pandas.concat(pandas.read_parquet(tables.path(f"readings-{day}")) for day in days))

    checks = gx_table_checks(
        asset=readings.key, table_name="readings", batch=load_days,
        critical=lambda context: [gxe.ExpectColumnValuesToBeBetween(column="heart_rate", min_value=20, max_value=250)],
        warnings=lambda context: [], partitions_def=DAYS,
    )
    result = dg.materialize(
        [readings, checks], resources={"tables": TableFolder(root=str(tmp_path))}, tags=RANGE_TAGS
    )
    assert result.success
    # One step checks the table: it loads the batch once.
    assert loaded == [["2024-03-02", "2024-03-03", "2024-03-04"]]
    [critical] = [e for e in result.get_asset_check_evaluations()
                  if e.check_name == "critical_expectations"]
    assert critical.passed
    assert critical.metadata["rows_evaluated"].value == 6
    assert critical.metadata["partitions"].value == "2024-03-02 .. 2024-03-04 (3 partitions)"


def test_a_single_partition_run_gives_its_one_key(tmp_path):
    seen: dict[str, object] = {}
    dg.materialize([readings, recorder(readings, seen)], partition_key="2024-03-05",
                   resources={"tables": TableFolder(root=str(tmp_path))})
    assert seen["keys"] == ["2024-03-05"]


def test_an_unpartitioned_run_gives_none():
    seen: dict[str, object] = {}
    dg.materialize([devices, recorder(devices, seen)])
    assert seen["keys"] is None


def test_an_unpartitioned_asset_in_a_partitioned_run_gives_none(tmp_path):
    """The run's days belong to other assets: the unpartitioned table is checked whole."""
    seen: dict[str, object] = {}
    dg.materialize([readings, devices, recorder(devices, seen)], tags=RANGE_TAGS,
                   resources={"tables": TableFolder(root=str(tmp_path))})
    assert seen["keys"] is None

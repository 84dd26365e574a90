"""The per-source value monitors as WARN checks of silver ``lab_results`` and
``wearable_readings``, run in each table's check step (``quality/source_values``)."""

import datetime as dt

import dagster as dg
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from healthcare_dataops.lakehouse import spark_tables
from healthcare_dataops.lib.partitions import delivery_day_partitions
from healthcare_dataops.quality import TableCheck, run_partition_keys
from healthcare_dataops.quality.source_values import (
    HISTORY_DAYS,
    compare_days,
    daily_stats,
    history_start,
    markdown_table,
    summary,
)
from healthcare_dataops.resources import LakehouseResource, SparkResource

LAB_VALUES_MATCH_HISTORY = "lab_values_match_their_history"
WEARABLE_VALUES_MATCH_HISTORY = "wearable_values_match_their_history"
# A reading's own date is shifted back by up to 30 days: its delivery day, real time, is what
# the monitor follows; partitions a month either side of the window hold every reading of it.
MAX_SHIFT_DAYS = 31


def _days_through(first: dt.date, last: str) -> list[str]:
    end = dt.date.fromisoformat(last)
    return [(first + dt.timedelta(days=k)).isoformat() for k in range((end - first).days + 1)]


def _result(context, check: str, asset: str, read, what: str) -> dg.AssetCheckResult:
    days = run_partition_keys(context, delivery_day_partitions) or []
    if not days:
        return dg.AssetCheckResult(asset_key=asset, check_name=check, passed=True, severity=dg.AssetCheckSeverity.WARN,
                                   description="No delivery days in this run: nothing to compare.")
    window = _days_through(history_start(days), max(days))
    found = compare_days(read(window), days)
    return dg.AssetCheckResult(
        asset_key=asset, check_name=check, passed=not found.shifts, severity=dg.AssetCheckSeverity.WARN,
        description=summary(found, what),
        metadata={"days_checked": len(days), "history_days": HISTORY_DAYS, "compared": found.compared,
                  "without_enough_history": found.without_history, "shifted": len(found.shifts),
                  "shifted_sources": dg.MetadataValue.json(sorted({(s.source, s.measure) for s in found.shifts})),
                  "shifts": dg.MetadataValue.md(markdown_table(found))},
    )


def lab_value_monitor() -> TableCheck:
    def evaluate(context, lakehouse: LakehouseResource, spark: SparkResource) -> dg.AssetCheckResult:
        def read(window: list[str]):
            rows = spark_tables.read_days(spark.spark_session, lakehouse.table_uri("silver", "lab_results"), window)
            return daily_stats(rows, F.col("lab"), F.col("analyte"), F.col("value"), F.col("delivery_date"),
                               F.col("patient_id"))

        return _result(context, LAB_VALUES_MATCH_HISTORY, "lab_results", read, "lab analyte at a performing lab")

    return TableCheck(
        name=LAB_VALUES_MATCH_HISTORY,
        description=f"Each analyte at each performing lab, day by day against its own last {HISTORY_DAYS} delivery "
        "days: a recalibrated analyzer is named at its source. Warns.",
        evaluate=evaluate, blocking=False,
    )


def _readings(spark, lakehouse: LakehouseResource, window: list[str]) -> DataFrame:
    first, last = dt.date.fromisoformat(window[0]), dt.date.fromisoformat(window[-1])
    readings = spark_tables.read(spark, lakehouse.table_uri("silver", "wearable_readings")).where(
        F.col("measured_date").between(first - dt.timedelta(days=MAX_SHIFT_DAYS), last + dt.timedelta(days=1))
        & F.col("delivery_date").between(first, last))
    models = spark_tables.read(spark, lakehouse.table_uri("silver", "device_enrollments")).select(
        F.col("device_id").alias("_device"), "device_model")
    return readings.join(F.broadcast(models), F.col("device_id") == F.col("_device"), "left")


def wearable_value_monitor() -> TableCheck:
    def evaluate(context, lakehouse: LakehouseResource, spark: SparkResource) -> dg.AssetCheckResult:
        def read(window: list[str]):
            rows = _readings(spark.spark_session, lakehouse, window)
            model = F.coalesce(F.col("device_model"), F.lit("unknown device model"))
            return daily_stats(rows, model, F.col("measure"), F.col("value"), F.col("delivery_date"),
                               F.col("patient_id"))

        return _result(context, WEARABLE_VALUES_MATCH_HISTORY, "wearable_readings", read,
                       "wearable measure of a device model")

    return TableCheck(
        name=WEARABLE_VALUES_MATCH_HISTORY,
        description=f"Each wearable measure of each device model, day by day against its own last {HISTORY_DAYS} "
        "delivery days: a firmware change is named at its source. Warns.",
        evaluate=evaluate, blocking=False,
    )

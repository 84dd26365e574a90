"""Checks every silver table gets, in one step per table: its GX suites and conservation.

Suites run on the run's rows (its delivery days) read back from Delta a chunk at a time; the
conservation check recounts bronze and quarantine rows from Delta and holds them against what
the run's materializations recorded, so a transform that drops or multiplies rows fails loudly.
"""

import datetime as dt
from collections.abc import Callable, Sequence

import dagster as dg
import pyarrow.compute as pc
from deltalake import DeltaTable

from healthcare_dataops.lakehouse import spark_tables
from healthcare_dataops.lakehouse.silver_writer import SilverTable
from healthcare_dataops.lib.partitions import delivery_day_partitions
from healthcare_dataops.quality import TableCheck, gx_table_checks, run_partition_keys
from healthcare_dataops.quality.chunked_validation import DAYS_BEHIND
from healthcare_dataops.quality.delta_check_batch import DeltaCheckBatch, DerivedColumn
from healthcare_dataops.resources import LakehouseResource, SparkResource

__all__ = ["DAYS_BEHIND", "EXAMPLE_COLUMNS", "UNKNOWN_PATIENT_FLAG", "silver_batch", "silver_checks"]

UNKNOWN_PATIENT_FLAG = "unknown_patient"
# Pseudonyms and codes only: silver holds no PHI, and these explain a failure best.
EXAMPLE_COLUMNS = {
    "patient_id", "encounter_id", "device_id", "analyte", "loinc_code", "code", "unit",
    "measure", "encounter_class", "sex", "age_band", "zip3", "value", UNKNOWN_PATIENT_FLAG,
    DAYS_BEHIND,
}


def silver_batch(
    table: str, columns: tuple[str, ...], *, day_column: str = "delivery_date",
    with_patients: bool = True, partition_column: str = "delivery_date",
) -> Callable[..., DeltaCheckBatch]:
    """The run's rows of ``table``, with a flag for patients silver does not know, read a
    chunk of delivery days at a time, or a chunk of ``partition_column``'s partitions where
    the table is partitioned by another column than ``day_column``."""

    def batch(context, lakehouse: LakehouseResource, spark: SparkResource) -> DeltaCheckBatch:
        uri = lakehouse.table_uri("silver", table)
        derived = {}
        if with_patients:
            known = DeltaTable(lakehouse.table_uri("silver", "patients"), storage_options=lakehouse.storage_options())
            ids = set(known.to_pyarrow_dataset().to_table(columns=["patient_id"])["patient_id"].to_pylist())
            derived[UNKNOWN_PATIENT_FLAG] = DerivedColumn(
                ("patient_id",),
                lambda frame: frame["patient_id"].where(frame["patient_id"].notna() & ~frame["patient_id"].isin(ids)))
        return DeltaCheckBatch(
            uri=uri, table_columns=columns, days=run_partition_keys(context, delivery_day_partitions),
            day_column=day_column,
            spark=spark.spark_session,
            rows_per_day=spark_tables.rows_per_partition(uri, day_column) if partition_column == day_column else None,
            partition_column=None if partition_column == day_column else partition_column,
            derived=derived, schema_only=(DAYS_BEHIND,),
        )

    return batch


def silver_checks(
    table: SilverTable,
    *,
    bronze_table: str,
    critical: Callable,
    warnings: Callable,
    batch: Callable | None = None,
    more_inputs: tuple = (),
    also: Sequence[TableCheck] = (),
) -> list[dg.AssetChecksDefinition]:
    """The table's GX suites, its conservation check (``more_inputs``: the table's other feeds,
    ``SilverInput``s, each conserved on its own) and ``also`` (further checks of the same table,
    e.g. a value monitor), in one step."""
    return [
        gx_table_checks(
            asset=table.name,
            table_name=table.name,
            batch=batch or silver_batch(table.name, table.columns, with_patients=table.name != "patients",
                                        partition_column=table.partition_by[0]),
            critical=critical,
            warnings=warnings,
            additional_deps=[table.quarantine_name],
            example_columns_allowed=EXAMPLE_COLUMNS,
            also=[conservation_check(table, bronze_table, more_inputs), *also],
            partitions_def=delivery_day_partitions,
        )
    ]


def conservation_check(table: SilverTable, bronze_table: str, more_inputs: tuple = ()) -> TableCheck:
    feeds = [(bronze_table, None), *((i.bronze_table, i.rows) for i in more_inputs)]

    def conservation(context, lakehouse: LakehouseResource) -> dg.AssetCheckResult:
        days = run_partition_keys(context, delivery_day_partitions) or []
        recorded = _recorded_outcomes(context, table.name, days)
        lines = ["| day | feed | bronze | written | quarantined | duplicates | deletions | holds |",
                 "|---|---|---|---|---|---|---|---|"]
        broken = []
        for feed, rows in feeds:
            if not DeltaTable.is_deltatable(lakehouse.table_uri("bronze", feed),
                                            storage_options=lakehouse.storage_options()):
                continue  # a feed whose bronze was never written: it brought no row
            bronze = _rows_per_day(lakehouse, "bronze", feed, days, rows)
            quarantined = _quarantined_per_day(lakehouse, table, feed, days)
            for day in days:
                # A day recorded without the feed: it brought no row that day.
                none = (0, 0, 0) if day in recorded else (None, None, None)
                written, duplicates, deletions = recorded.get(day, {}).get(feed, none)
                holds = written is not None and (
                    bronze.get(day, 0) == written + quarantined.get(day, 0) + duplicates + deletions)
                if not holds:
                    broken.append((day, feed))
                lines.append(f"| {day} | {feed} | {bronze.get(day, 0)} | {written} | {quarantined.get(day, 0)} "
                             f"| {duplicates} | {deletions} | {'yes' if holds else 'NO'} |")
        return dg.AssetCheckResult(
            asset_key=table.name,
            check_name="conservation",
            passed=not broken,
            severity=dg.AssetCheckSeverity.ERROR,
            metadata={
                "days_checked": len(days),
                "days_not_conserved": dg.MetadataValue.json(sorted({day for day, _ in broken})),
                "feeds_not_conserved": dg.MetadataValue.json([f"{day} {feed}" for day, feed in broken]),
                "ledger": dg.MetadataValue.md("\n".join(lines)),
            },
        )

    sources = " and ".join(feed for feed, _ in feeds)
    return TableCheck(
        name="conservation",
        description=f"Per delivery day and feed: {sources} rows = {table.name} rows written + "
        "quarantined + duplicates removed + deletions applied. Fails if any row went missing.",
        evaluate=conservation,
        additional_deps=tuple(feed for feed, _ in feeds) + (table.quarantine_name,),
    )


def _quarantined_per_day(lakehouse: LakehouseResource, table: SilverTable, feed: str, days: list[str]) -> dict:
    """Quarantined rows per day of one feed: each quarantine row names the bronze table it came from."""
    dataset = DeltaTable(lakehouse.table_uri("silver", table.quarantine_name),
                         storage_options=lakehouse.storage_options()).to_pyarrow_dataset()
    return {day: dataset.count_rows(filter=(pc.field("delivery_date") == dt.date.fromisoformat(day))
                                    & (pc.field("source_table") == feed)) for day in days}


def _rows_per_day(lakehouse: LakehouseResource, layer: str, table: str, days: list[str], rows=None) -> dict[str, int]:
    """Rows per delivery day, counted from the table's files (Parquet footers, no data read);
    ``rows`` (a ``BronzeRows``) counts only the rows of the kinds a silver table takes."""
    uri = lakehouse.table_uri(layer, table)
    if rows is not None:
        return {day: rows.count(uri, lakehouse.storage_options(), day) for day in days}
    dataset = DeltaTable(uri, storage_options=lakehouse.storage_options()).to_pyarrow_dataset()
    return {day: dataset.count_rows(filter=pc.field("delivery_date") == dt.date.fromisoformat(day)) for day in days}


def _recorded_outcomes(context, asset: str, days: list[str]) -> dict[str, dict[str, tuple[int, int, int]]]:
    """What this run's materialization of ``asset`` recorded per day and feed:
    (written, duplicates, deletions)."""
    records = context.instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=dg.AssetKey(asset), asset_partitions=days), limit=len(days) * 4
    ).records
    recorded = {}
    for record in records:
        if record.run_id != context.run.run_id:
            continue
        metadata = record.asset_materialization.metadata
        recorded[record.partition_key] = {
            feed: (counts["written"], counts["duplicates"], counts["deletions"])
            for feed, counts in metadata["outcomes_by_feed"].value.items()
        }
    return recorded

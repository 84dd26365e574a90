"""Checks every silver table gets: its GX suites and a conservation check.

Suites run on the run's batch (its delivery days) read back from Delta; the conservation
check recounts bronze and quarantine rows from Delta and holds them against what the run's
materializations recorded, so a transform that drops or multiplies rows fails loudly.
"""

import datetime as dt
from collections.abc import Callable

import dagster as dg
import pandas
import pyarrow as pa
import pyarrow.compute as pc
from deltalake import DeltaTable

from healthcare_dataops.lakehouse.silver import SilverTable
from healthcare_dataops.quality import flag_unknown_values, gx_asset_checks, run_partition_keys
from healthcare_dataops.resources import LakehouseResource

UNKNOWN_PATIENT_FLAG = "unknown_patient"
DAYS_BEHIND = "days_behind_run"
# Pseudonyms and codes only: silver holds no PHI, and these explain a failure best.
EXAMPLE_COLUMNS = {
    "patient_id", "encounter_id", "device_id", "analyte", "loinc_code", "code", "unit",
    "measure", "encounter_class", "sex", "age_band", "zip3", "value", UNKNOWN_PATIENT_FLAG,
    DAYS_BEHIND,
}


def read_days(
    lakehouse: LakehouseResource,
    table: str,
    days: list[str] | None,
    column: str = "delivery_date",
    *,
    layer: str = "silver",
    columns: list[str] | None = None,
) -> pa.Table:
    """``columns`` of ``table``'s rows of ``days`` (all rows where ``days`` is None)."""
    uri = lakehouse.table_uri(layer, table)
    dataset = DeltaTable(uri, storage_options=lakehouse.storage_options()).to_pyarrow_dataset()
    where = pc.field(column).isin([dt.date.fromisoformat(d) for d in days]) if days else None
    return dataset.to_table(columns=columns, filter=where)


def batch_loader(table: str, *, day_column: str = "delivery_date", with_patients: bool = True):
    """The run's rows of ``table``, with a flag for patients silver does not know and how
    many days each row's delivery lags the run's last day (the freshness expectation)."""

    def load(context, lakehouse: LakehouseResource) -> pandas.DataFrame:
        days = run_partition_keys(context)
        frame = read_days(lakehouse, table, days, day_column).to_pandas()
        if with_patients:
            known = read_days(lakehouse, "patients", None, columns=["patient_id"])["patient_id"]
            frame = flag_unknown_values(frame, "patient_id", set(known.to_pylist()), UNKNOWN_PATIENT_FLAG)
        if days:
            last = dt.date.fromisoformat(max(days))
            frame[DAYS_BEHIND] = [(last - d).days for d in frame[day_column]]
        return frame

    return load


def silver_checks(
    table: SilverTable,
    *,
    bronze_table: str,
    critical: Callable,
    warnings: Callable,
    load_batch: Callable | None = None,
) -> list[dg.AssetChecksDefinition]:
    return [
        *gx_asset_checks(
            asset=table.name,
            table_name=table.name,
            load_batch=load_batch or batch_loader(table.name, with_patients=table.name != "patients"),
            critical=critical,
            warnings=warnings,
            additional_deps=[table.quarantine_name],
            example_columns_allowed=EXAMPLE_COLUMNS,
        ),
        conservation_check(table, bronze_table),
    ]


def conservation_check(table: SilverTable, bronze_table: str) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=table.name,
        name="conservation",
        blocking=True,
        additional_deps=[bronze_table, table.quarantine_name],
        description=f"Per delivery day: {bronze_table} rows = {table.name} rows written + "
        "quarantined + duplicates removed. Fails if any row went missing.",
    )
    def _conservation(context: dg.AssetCheckExecutionContext, lakehouse: LakehouseResource):
        days = run_partition_keys(context) or []
        bronze = _rows_per_day(lakehouse, "bronze", bronze_table, days)
        quarantined = _rows_per_day(lakehouse, "silver", table.quarantine_name, days)
        recorded = _recorded_outcomes(context, table.name, days)
        lines = ["| day | bronze | written | quarantined | duplicates | holds |", "|---|---|---|---|---|---|"]
        broken = []
        for day in days:
            written, duplicates = recorded.get(day, (None, None))
            holds = written is not None and bronze.get(day, 0) == written + quarantined.get(day, 0) + duplicates
            if not holds:
                broken.append(day)
            lines.append(f"| {day} | {bronze.get(day, 0)} | {written} | {quarantined.get(day, 0)} | {duplicates} | {'yes' if holds else 'NO'} |")
        return dg.AssetCheckResult(
            passed=not broken,
            severity=dg.AssetCheckSeverity.ERROR,
            metadata={
                "days_checked": len(days),
                "days_not_conserved": dg.MetadataValue.json(broken),
                "ledger": dg.MetadataValue.md("\n".join(lines)),
            },
        )

    return _conservation


def _rows_per_day(lakehouse: LakehouseResource, layer: str, table: str, days: list[str]) -> dict[str, int]:
    column = read_days(lakehouse, table, days, layer=layer, columns=["delivery_date"])["delivery_date"]
    counts = pc.value_counts(column).to_pylist()
    return {entry["values"].isoformat(): entry["counts"] for entry in counts}


def _recorded_outcomes(context, asset: str, days: list[str]) -> dict[str, tuple[int, int]]:
    """What this run's materialization of ``asset`` recorded per day: (written, duplicates)."""
    records = context.instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=dg.AssetKey(asset), asset_partitions=days), limit=len(days) * 4
    ).records
    recorded = {}
    for record in records:
        if record.run_id != context.run.run_id:
            continue
        metadata = record.asset_materialization.metadata
        recorded[record.partition_key] = (
            metadata["dagster/row_count"].value,
            metadata["duplicates_removed"].value,
        )
    return recorded

"""How a silver table is built from its bronze table: one multi-asset per table.

Each yields the table and its quarantine. It reads the run's delivery days from bronze a
chunk at a time (whole days, up to ``SILVER_CHUNK_ROWS`` bronze rows: memory follows the
chunk, not the backfill), runs the table's transform on the shared Spark session, and writes
each chunk through ``write_batch``.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

import dagster as dg
from pyspark.sql import DataFrame, SparkSession

from healthcare_dataops.lakehouse import spark_tables, storage
from healthcare_dataops.lakehouse.chunks import ChunkProgress, day_chunks
from healthcare_dataops.lakehouse.metadata import silver_results
from healthcare_dataops.lakehouse.silver_writer import (
    Lineage,
    SilverTable,
    merge_reports,
    require_known_patients,
    write_batch,
)
from healthcare_dataops.lib.asset_specs import SILVER, daily_table_writer, silver_spec
from healthcare_dataops.resources import (
    LakehouseResource,
    PseudonymizationResource,
    SparkResource,
)

PATIENTS = "patients"
# Bronze rows one chunk conforms and merges at once; a day with more is a chunk of its own.
SILVER_CHUNK_ROWS = 2_000_000
SILVER_CHUNK_DAYS = 31


@dataclass(frozen=True)
class Batch:
    """What a transform gets: the bronze rows of the run's days and where to find the rest."""

    raw: DataFrame
    session: SparkSession
    key: bytes
    lakehouse: LakehouseResource
    days: list[str]


# A batch → every bronze row conformed, with a quarantine reason where it cannot be used.
Conform = Callable[[Batch], DataFrame]


@dataclass(frozen=True)
class SilverBuild:
    table: SilverTable
    bronze_table: str
    source: str
    conform: Conform
    description: str
    other_deps: tuple[str, ...] = ()
    # Rows must point at a patient in silver ``patients``; orphans are quarantined.
    needs_known_patient: bool = True
    # Each column of ``table`` → the ``bronze_table`` columns (or (table, column) of one of
    # ``other_deps``) it is derived from, declared beside the transform: a catalog's lineage.
    lineage: Lineage = field(default_factory=dict)


def silver_multi_asset(build: SilverBuild) -> dg.AssetsDefinition:
    table = build.table

    @dg.multi_asset(
        name=f"{table.name}_silver",
        specs=[
            silver_spec(
                table.name,
                source=build.source,
                deps=[build.bronze_table, *build.other_deps, *([PATIENTS] if build.needs_known_patient else [])],
                description=build.description,
            ),
            silver_spec(
                table.quarantine_name,
                source=build.source,
                deps=[build.bronze_table],
                description=f"{build.bronze_table} rows that cannot go to {table.name}, with the "
                "reason and pseudonymous lineage; no PHI.",
            ),
        ],
        **daily_table_writer(SILVER, build.source),
    )
    def _silver(
        context: dg.AssetExecutionContext,
        spark: SparkResource,
        lakehouse: LakehouseResource,
        pseudonymization: PseudonymizationResource,
    ):
        session = spark.spark_session
        bronze_uri = lakehouse.table_uri("bronze", build.bronze_table)
        key = pseudonymization.key_bytes(context.log)
        patients = (spark_tables.read(session, lakehouse.table_uri("silver", PATIENTS))
                    if build.needs_known_patient else None)
        chunks = day_chunks(context.partition_keys, spark_tables.rows_per_partition(bronze_uri),
                            max_weight=SILVER_CHUNK_ROWS, max_days=SILVER_CHUNK_DAYS)
        reports = []
        progress = ChunkProgress(table.name, len(chunks), len(context.partition_keys), context.log.info)
        for number, days in enumerate(chunks):
            raw = spark_tables.read_days(session, bronze_uri, days)
            conformed = build.conform(Batch(raw, session, key, lakehouse, list(days)))
            if patients is not None:
                conformed = require_known_patients(conformed, patients)
            staging = lakehouse.staging_uri(f"{table.name}-{context.run.run_id[:8]}-{number}")
            try:
                reports.append(write_batch(
                    conformed,
                    table=table,
                    table_uri=lakehouse.table_uri("silver", table.name),
                    quarantine_uri=lakehouse.table_uri("silver", table.quarantine_name),
                    days=days,
                    staging_uri=staging,
                ))
            finally:
                storage.remove_tree(staging)
            progress.committed(days, f"{sum(r.total('written') for r in reports):,} rows written")
        yield from silver_results(context, merge_reports(reports), lakehouse=lakehouse, bronze_table=build.bronze_table,
                                  lineage=build.lineage, engine_startup_seconds=spark.startup_seconds)

    return _silver

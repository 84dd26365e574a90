"""How a silver table is built from its bronze tables: one multi-asset per table.

Each yields the table and its quarantine. It reads the run's delivery days from bronze a
chunk at a time (whole days, up to ``SILVER_CHUNK_ROWS`` bronze rows: memory follows the
chunk, not the backfill), runs the table's transform on the shared Spark session, and writes
each chunk through ``write_batch``. A table fed by more than one bronze table (the EHR's CSV
export and its FHIR export) conforms each feed with its own transform and writes them as one
batch, each feed's rows counted on their own, so that conservation holds per feed.
"""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

import dagster as dg
import pyarrow.compute as pc
from deltalake import DeltaTable
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from healthcare_dataops.lakehouse import spark_tables, storage
from healthcare_dataops.lakehouse.chunks import ChunkProgress, day_chunks
from healthcare_dataops.lakehouse.metadata import silver_results
from healthcare_dataops.lakehouse.silver_writer import (
    FEED,
    Lineage,
    SilverTable,
    merge_reports,
    require_known_patients,
    with_transient_columns,
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
class BronzeRows:
    """Which rows of a bronze table of many kinds of record a silver table takes: those of
    ``resource_types``, and, with ``category``, those whose ``category_codes`` hold it (or,
    ``has_category`` false, do not)."""

    resource_types: tuple[str, ...]
    category: str | None = None
    has_category: bool = True

    def where(self, frame: DataFrame) -> DataFrame:
        rows = frame.where(F.col("resource_type").isin(*self.resource_types))
        if self.category is None:
            return rows
        holds = F.coalesce(F.array_contains(F.split(F.col("category_codes"), " "), self.category), F.lit(False))
        return rows.where(holds if self.has_category else ~holds)

    def count(self, uri: str, storage_options: dict[str, str], day: str) -> int:
        dataset = DeltaTable(uri, storage_options=storage_options).to_pyarrow_dataset()
        day_rows = (pc.field("delivery_date") == dt.date.fromisoformat(day)) & pc.field("resource_type").isin(
            list(self.resource_types))
        if self.category is None:
            return dataset.count_rows(filter=day_rows)
        codes = dataset.to_table(columns=["category_codes"], filter=day_rows)["category_codes"].to_pylist()
        return sum((self.category in (c or "").split(" ")) == self.has_category for c in codes)


@dataclass(frozen=True)
class SilverInput:
    """One more bronze table a silver table is fed from (the EHR's FHIR export beside its CSV)."""

    bronze_table: str
    conform: "Conform"
    # Each silver column → the (table, column) pairs it is derived from.
    lineage: Lineage
    rows: BronzeRows | None = None


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
    # Other feeds of the same table, each conformed by its own transform.
    more_inputs: tuple[SilverInput, ...] = ()

    @property
    def inputs(self) -> tuple[SilverInput, ...]:
        primary = SilverInput(self.bronze_table, self.conform, self.lineage)
        return (primary, *self.more_inputs)

    @property
    def bronze_tables(self) -> list[str]:
        return [i.bronze_table for i in self.inputs]

    @property
    def combined_lineage(self) -> Lineage:
        """The primary feed's lineage with every other feed's added, column by column."""
        merged = {column: list(sources) for column, sources in self.lineage.items()}
        for extra in self.more_inputs:
            for column, sources in extra.lineage.items():
                merged.setdefault(column, []).extend(sources)
        return merged


def silver_multi_asset(build: SilverBuild) -> dg.AssetsDefinition:
    table = build.table

    @dg.multi_asset(
        name=f"{table.name}_silver",
        specs=[
            silver_spec(
                table.name,
                source=build.source,
                deps=[*build.bronze_tables, *build.other_deps, *([PATIENTS] if build.needs_known_patient else [])],
                description=build.description,
            ),
            silver_spec(
                table.quarantine_name,
                source=build.source,
                deps=build.bronze_tables,
                description=f"{', '.join(build.bronze_tables)} rows that cannot go to {table.name}, with the "
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
        key = pseudonymization.key_bytes(context.log)
        patients = (spark_tables.read(session, lakehouse.table_uri("silver", PATIENTS))
                    if build.needs_known_patient else None)
        # A feed whose bronze table was never written (its source delivers nothing) adds no rows.
        inputs = [i for i in build.inputs if spark_tables.exists(lakehouse.table_uri("bronze", i.bronze_table))]
        if not inputs:
            raise FileNotFoundError(f"none of {', '.join(build.bronze_tables)} exists in the lakehouse yet: "
                                    f"materialize their bronze assets before {table.name}")
        rows_by_feed = {f.bronze_table: spark_tables.rows_per_partition(lakehouse.table_uri("bronze", f.bronze_table))
                        for f in inputs}
        weights: dict[str, int] = {}
        for per_day in rows_by_feed.values():
            for day, rows in per_day.items():
                weights[day] = weights.get(day, 0) + rows
        chunks = day_chunks(context.partition_keys, weights, max_weight=SILVER_CHUNK_ROWS, max_days=SILVER_CHUNK_DAYS)
        reports = []
        progress = ChunkProgress(table.name, len(chunks), len(context.partition_keys), context.log.info)
        for number, days in enumerate(chunks):
            conformed = None
            # A feed that brought nothing on these days costs nothing (the first is read all
            # the same: it gives the batch its columns when none brought a row).
            delivered = [f for f in inputs if f is inputs[0] or any(rows_by_feed[f.bronze_table].get(d) for d in days)]
            for feed in delivered:
                raw = spark_tables.read_days(session, lakehouse.table_uri("bronze", feed.bronze_table), days)
                rows = feed.conform(Batch(feed.rows.where(raw) if feed.rows else raw, session, key, lakehouse,
                                          list(days)))
                rows = with_transient_columns(rows).withColumn(FEED, F.lit(feed.bronze_table))
                conformed = rows if conformed is None else conformed.unionByName(rows)
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
                                  lineage=build.combined_lineage, engine_startup_seconds=spark.startup_seconds)

    return _silver

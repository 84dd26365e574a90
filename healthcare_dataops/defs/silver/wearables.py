"""Silver wearables: device enrollments, de-identified readings, and hourly vitals."""

import time

import dagster as dg

from healthcare_dataops import landing_layout as layout
from healthcare_dataops import reference
from healthcare_dataops.defs.bronze.wearables import WEARABLE_ENROLLMENTS_RAW, WEARABLE_READINGS_RAW
from healthcare_dataops.defs.silver.fhir import FHIR_INPUTS
from healthcare_dataops.lakehouse import spark_tables
from healthcare_dataops.lakehouse.chunks import day_chunks
from healthcare_dataops.lakehouse.metadata import table_metadata
from healthcare_dataops.lib.asset_specs import SILVER, daily_table_writer
from healthcare_dataops.lib.automation import every_updated_day
from healthcare_dataops.lib.silver_assets import SilverBuild, silver_multi_asset
from healthcare_dataops.resources import LakehouseResource, SparkResource
from healthcare_dataops.transforms import wearables

WEARABLE_VITALS = "wearable_vitals"
# Readings one chunk of vitals aggregates at once (whole measured days).
VITALS_CHUNK_READINGS = 4_000_000
VITALS_CHUNK_DAYS = 31

DEVICE_ENROLLMENTS_BUILD = SilverBuild(
    wearables.DEVICE_ENROLLMENTS, WEARABLE_ENROLLMENTS_RAW.name, layout.WEARABLES,
    lambda batch: wearables.conform_enrollments(batch.raw, batch.key),
    "Which (pseudonymous) device belongs to which (pseudonymous) patient; newest wins.",
    lineage=wearables.ENROLLMENTS_LINEAGE,
    # The EHR's FHIR Devices that name a patient.
    more_inputs=(FHIR_INPUTS[wearables.DEVICE_ENROLLMENTS.name],),
)
WEARABLE_READINGS_BUILD = SilverBuild(
    wearables.WEARABLE_READINGS, WEARABLE_READINGS_RAW.name, layout.WEARABLES,
    lambda batch: wearables.conform_readings(
        batch.raw,
        spark_tables.read(
            batch.session, batch.lakehouse.table_uri("silver", wearables.DEVICE_ENROLLMENTS.name)
        ),
        reference.wearable_measures(batch.session),
        batch.key,
    ),
    "One row per wearable reading: heart rate, steps, SpO2, sleep in canonical units, UTC "
    "time shifted per patient, on the day it was measured (late data included); "
    "physiologically impossible values are quarantined.",
    other_deps=(wearables.DEVICE_ENROLLMENTS.name,),
    lineage=wearables.READINGS_LINEAGE,
)

device_enrollments_silver = silver_multi_asset(DEVICE_ENROLLMENTS_BUILD)
wearable_readings_silver = silver_multi_asset(WEARABLE_READINGS_BUILD)


@dg.asset(
    name=WEARABLE_VITALS,
    deps=[wearables.WEARABLE_READINGS.name],
    group_name="silver",
    kinds={"spark", "delta"},
    tags={"layer": "silver", "source": layout.WEARABLES},
    **daily_table_writer(SILVER, layout.WEARABLES),
    automation_condition=every_updated_day(),
    description="Per patient per hour: heart rate mean/min/max, steps, SpO2 min/mean, sleep "
    "minutes, and the day's resting heart rate. Each run recomputes every measured day its "
    "deliveries touched, from all readings of that day.",
)
def wearable_vitals(
    context: dg.AssetExecutionContext, spark: SparkResource, lakehouse: LakehouseResource
) -> dg.MaterializeResult:
    started = time.perf_counter()
    session = spark.spark_session
    readings_uri = lakehouse.table_uri("silver", wearables.WEARABLE_READINGS.name)
    uri = lakehouse.table_uri("silver", WEARABLE_VITALS)
    batch = spark_tables.read_days(session, readings_uri, context.partition_keys)
    touched = sorted(
        row["measured_date"].isoformat()
        for row in batch.select("measured_date").distinct().collect()
        if row["measured_date"] is not None
    )
    if not touched and not spark_tables.exists(uri):
        spark_tables.replace_where(
            wearables.hourly_vitals(spark_tables.read_days(session, readings_uri, [], column="measured_date")),
            uri, predicate="false", partition_by=["measured_date"],
        )
    # A chunk of measured days at a time, each from all of its readings (late ones included).
    per_day = spark_tables.rows_per_partition(readings_uri, "measured_date")
    for days in day_chunks(touched, per_day, max_weight=VITALS_CHUNK_READINGS, max_days=VITALS_CHUNK_DAYS):
        day_readings = spark_tables.read_days(session, readings_uri, days, column="measured_date")
        spark_tables.replace_where(
            wearables.hourly_vitals(day_readings),
            uri,
            predicate=spark_tables.days_predicate(days, column="measured_date"),
            partition_by=["measured_date"],
        )
    written = spark_tables.rows_per_partition(uri, "measured_date") if spark_tables.exists(uri) else {}
    return dg.MaterializeResult(
        metadata={
            "measured_days_recomputed": dg.MetadataValue.json(touched),
            "dagster/row_count": sum(written.get(day, 0) for day in touched),
            "step_seconds": round(time.perf_counter() - started, 3),
            **table_metadata(lakehouse, SILVER, WEARABLE_VITALS),
        }
    )

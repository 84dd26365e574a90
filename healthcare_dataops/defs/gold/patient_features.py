"""Gold ``patient_features``: one row per index admission, with the 30-day readmission label."""

import time

import dagster as dg
from pyspark.sql import functions as F

from healthcare_dataops.lakehouse import spark_tables
from healthcare_dataops.lakehouse.metadata import table_metadata
from healthcare_dataops.lib.asset_specs import GOLD
from healthcare_dataops.lib.automation import whole_history
from healthcare_dataops.lib.pools import GOLD_TABLES
from healthcare_dataops.lib.retries import IO_RETRY_POLICY
from healthcare_dataops.resources import LakehouseResource, SparkResource
from healthcare_dataops.transforms import features

PATIENT_FEATURES = "patient_features"


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            PATIENT_FEATURES,
            deps=list(features.SILVER_INPUTS),
            group_name=GOLD,
            kinds={"spark", "delta"},
            tags={"layer": GOLD},
            automation_condition=whole_history(),
            description="One row per index admission (inpatient, discharged): demographics, "
            "comorbidities, prior utilization, last value and trend of key labs, wearable "
            "summaries before discharge, and readmitted_30d with label_complete. Point-in-time "
            "correct: only data recorded before the discharge feeds a row.",
        )
    ],
    # Not partitioned: it is rebuilt from all of silver on every run (a late lab can change an
    # older row), so a day of it means nothing. A single run all the same, so that the CLI's
    # --partition-range takes it with the daily assets.
    backfill_policy=dg.BackfillPolicy.single_run(),
    retry_policy=IO_RETRY_POLICY,
    pool=GOLD_TABLES,
)
def patient_features(context: dg.AssetExecutionContext, spark: SparkResource, lakehouse: LakehouseResource):
    """Rebuilt whole from silver on every run: a late lab or reading can change older rows."""
    started = time.perf_counter()
    session = spark.spark_session
    silver = {name: spark_tables.read(session, lakehouse.table_uri("silver", name)) for name in features.SILVER_INPUTS}
    rows = features.patient_features(
        silver["encounters"], silver["patients"], silver["conditions"], silver["lab_results"], silver["wearable_vitals"]
    )
    uri = lakehouse.table_uri(GOLD, PATIENT_FEATURES)
    rows.write.format("delta").mode("overwrite").option("overwriteSchema", "true").save(uri)
    written = spark_tables.read(session, uri)
    stats = written.agg(
        F.count("*").alias("rows"),
        F.sum(F.col("label_complete").cast("int")).alias("labelled"),
        F.avg(F.when(F.col("label_complete"), F.col(features.LABEL))).alias("prevalence"),
    ).collect()[0]
    yield dg.MaterializeResult(
        asset_key=PATIENT_FEATURES,
        metadata={
            "dagster/row_count": stats["rows"],
            "rows_with_complete_label": stats["labelled"] or 0,
            "label_prevalence": float(stats["prevalence"] or 0.0),
            "delta_version": spark_tables.version(uri),
            "step_seconds": round(time.perf_counter() - started, 3),
            **table_metadata(lakehouse, GOLD, PATIENT_FEATURES),
        },
    )

"""Gold ``patient_features``: one row per index admission, with the 30-day readmission label."""

import datetime as dt
import time

import dagster as dg
from pyspark.sql import functions as F

from healthcare_dataops import settings
from healthcare_dataops.lakehouse import spark_tables
from healthcare_dataops.lakehouse.metadata import table_metadata
from healthcare_dataops.lib.asset_specs import GOLD
from healthcare_dataops.lib.automation import whole_history
from healthcare_dataops.lib.pools import GOLD_TABLES
from healthcare_dataops.lib.retries import IO_RETRY_POLICY
from healthcare_dataops.resources import LakehouseResource, PseudonymizationResource, SparkResource
from healthcare_dataops.transforms import features
from healthcare_dataops.transforms.readmission_cohort import COHORT_EXCLUSIONS

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
            description="One row per discharged inpatient stay, described from its episode's first "
            "admission (transfers are one episode): demographics, comorbidities, prior utilization, "
            "last value and trend of key labs, wearable summaries before discharge; readmitted_30d "
            "after the CMS hospital-wide measure's cohort rules (cohort_exclusion: death, transfer "
            "out, against medical advice; planned readmissions do not count; only the first counts), "
            "label_complete, before_feeds, feed_day (real time, for temporal splits) and the LACE and "
            "HOSPITAL baselines. Point-in-time correct: only data recorded before the discharge "
            "feeds a row.",
        )
    ],
    # Not partitioned: it is rebuilt from all of silver on every run (a late lab can change an
    # older row), so a day of it means nothing. A single run all the same, so that the CLI's
    # --partition-range takes it with the daily assets.
    backfill_policy=dg.BackfillPolicy.single_run(),
    retry_policy=IO_RETRY_POLICY,
    pool=GOLD_TABLES,
)
def patient_features(
    context: dg.AssetExecutionContext,
    spark: SparkResource,
    lakehouse: LakehouseResource,
    pseudonymization: PseudonymizationResource,
):
    """Rebuilt whole from silver on every run: a late lab or reading can change older rows."""
    started = time.perf_counter()
    session = spark.spark_session
    silver = {name: spark_tables.read(session, lakehouse.table_uri("silver", name)) for name in features.SILVER_INPUTS}
    first_day = silver["encounters"].agg(F.min("delivery_date").alias("first")).collect()[0]["first"]
    # Local midnight starting the first delivery day: feed_day counts from it.
    feeds_began_at = settings.end_of_delivery_day((first_day or dt.date.today()) - dt.timedelta(days=1))
    rows = features.patient_features(
        silver["encounters"], silver["patients"], silver["conditions"], silver["lab_results"],
        silver["wearable_vitals"], key=pseudonymization.key_bytes(context.log), feeds_began_at=feeds_began_at,
    )
    uri = lakehouse.table_uri(GOLD, PATIENT_FEATURES)
    rows.write.format("delta").mode("overwrite").option("overwriteSchema", "true").save(uri)
    written = spark_tables.read(session, uri)
    index = F.col("cohort_exclusion").isNull()
    stats = written.agg(
        F.count("*").alias("rows"),
        F.sum((F.col("label_complete") & index).cast("int")).alias("labelled"),
        F.avg(F.when(F.col("label_complete") & index, F.col(features.LABEL))).alias("prevalence"),
        F.sum(F.col("before_feeds").cast("int")).alias("before_feeds"),
        *[F.sum((F.col("cohort_exclusion") == reason).cast("int")).alias(reason) for reason in COHORT_EXCLUSIONS],
    ).collect()[0]
    yield dg.MaterializeResult(
        asset_key=PATIENT_FEATURES,
        metadata={
            "dagster/row_count": stats["rows"],
            "rows_with_complete_label": stats["labelled"] or 0,
            "label_prevalence": float(stats["prevalence"] or 0.0),
            "rows_before_feeds": stats["before_feeds"] or 0,
            "not_index_admissions": dg.MetadataValue.json({r: stats[r] or 0 for r in COHORT_EXCLUSIONS}),
            "delta_version": spark_tables.version(uri),
            "step_seconds": round(time.perf_counter() - started, 3),
            **table_metadata(lakehouse, GOLD, PATIENT_FEATURES),
        },
    )

"""``patient_risk_scores``: every stay open at the end of a delivery day, scored by the champion."""

import datetime as dt
import time

import dagster as dg
from pyspark.sql import functions as F

from healthcare_dataops import settings
from healthcare_dataops.defs.model.risk_model import RISK_MODEL
from healthcare_dataops.lakehouse import delta_tables, spark_tables
from healthcare_dataops.lakehouse.metadata import table_metadata
from healthcare_dataops.lib.automation import scores_of_every_updated_day
from healthcare_dataops.lib.partitions import delivery_day_partitions
from healthcare_dataops.lib.pools import GOLD_TABLES
from healthcare_dataops.lib.retries import IO_RETRY_POLICY
from healthcare_dataops.ml import registry, scoring
from healthcare_dataops.privacy import shift_days, shift_timestamp
from healthcare_dataops.resources import (
    LakehouseResource,
    MlflowResource,
    PseudonymizationResource,
    SparkResource,
)
from healthcare_dataops.transforms import features

PATIENT_RISK_SCORES = "patient_risk_scores"


@dg.asset(
    deps=[RISK_MODEL, *features.SILVER_INPUTS],
    partitions_def=delivery_day_partitions,
    backfill_policy=dg.BackfillPolicy.single_run(),
    retry_policy=IO_RETRY_POLICY,
    pool=GOLD_TABLES,
    automation_condition=scores_of_every_updated_day(dg.AssetKey(RISK_MODEL)),
    group_name="ml",
    kinds={"spark", "delta", "mlflow"},
    tags={"layer": "gold"},
    description="Current inpatients scored with the champion model: pseudonymous patient, "
    "admission, 30-day readmission risk if discharged at the scoring time, model name and version, "
    "scored_at, the features that pushed the risk up or down most, in clinical words (explanation), "
    "and the inputs it was scored on. One snapshot per "
    "delivery day (the stays open at its local midnight, HEALTHCARE_DATAOPS_HOSPITAL_TIMEZONE); "
    "a run over a range scores its last day.",
)
def patient_risk_scores(
    context: dg.AssetExecutionContext,
    spark: SparkResource,
    lakehouse: LakehouseResource,
    mlflow_tracking: MlflowResource,
    pseudonymization: PseudonymizationResource,
) -> dg.MaterializeResult:
    started = time.perf_counter()
    client = mlflow_tracking.activate()
    try:
        champion = registry.load_champion(client, mlflow_tracking.registered_model_name)
    except registry.NoChampion as error:
        raise dg.Failure(description=f"patient_risk_scores did not run: {error}", allow_retries=False) from error

    day = dt.date.fromisoformat(context.partition_key_range.end)
    # The end of the delivery day on each patient's own shifted clock: silver's dates move
    # back by a per-patient offset, so "now" does too.
    end_of_day = settings.end_of_delivery_day(day).astimezone(dt.UTC)
    key = pseudonymization.key_bytes(context.log)
    as_of = shift_timestamp(F.lit(end_of_day), shift_days(F.col("patient_id"), key))
    session = spark.spark_session
    silver = {name: spark_tables.read(session, lakehouse.table_uri("silver", name)) for name in features.SILVER_INPUTS}
    stays = features.inpatient_features(
        silver["encounters"], silver["patients"], silver["conditions"], silver["lab_results"],
        silver["wearable_vitals"], as_of,
    ).toPandas()

    scores = scoring.score(champion, stays, day, dt.datetime.now(dt.UTC))
    uri = lakehouse.table_uri("gold", PATIENT_RISK_SCORES)
    version = delta_tables.replace_batches_where(
        uri, scores.to_batches(), scoring.SCORES_SCHEMA, predicate=f"delivery_date = '{day.isoformat()}'",
        partition_by=["delivery_date"], storage_options=lakehouse.storage_options(),
    )
    risk = scores.column("risk").to_pandas()
    context.log.info(f"scored {scores.num_rows} open stays as of the end of {day} with "
                     f"{champion.name} v{champion.version}")
    context.add_asset_metadata(
        {
            "dagster/row_count": scores.num_rows,
            "scored_delivery_day": day.isoformat(),
            "model_name": champion.name,
            "model_version": champion.version,
            "mean_risk": float(risk.mean()) if len(risk) else None,
            "stays_above_30pct_risk": int((risk > 0.3).sum()),
            "delta_version": version,
            "step_seconds": round(time.perf_counter() - started, 3),
        },
        partition_key=day.isoformat(),
    )
    # The other days of a range run get no snapshot of their own: they point at the one made.
    return dg.MaterializeResult(
        metadata={"scored_delivery_day": day.isoformat(), **table_metadata(lakehouse, "gold", PATIENT_RISK_SCORES)}
    )

"""``feature_drift_report``: the champion's training rows against the newest admissions."""

import datetime as dt
import tempfile
import time
from pathlib import Path

import dagster as dg
from deltalake.exceptions import TableNotFoundError
from pydantic import Field

from healthcare_dataops.defs.gold.patient_features import PATIENT_FEATURES
from healthcare_dataops.defs.model.risk_model import RISK_MODEL
from healthcare_dataops.defs.scores.patient_risk_scores import PATIENT_RISK_SCORES
from healthcare_dataops.lakehouse import delta_tables, spark_tables
from healthcare_dataops.lib.automation import whole_history
from healthcare_dataops.lib.retries import IO_RETRY_POLICY
from healthcare_dataops.lib.silver_assets import PATIENTS
from healthcare_dataops.ml import lineage, registry
from healthcare_dataops.model_health import drift, performance, report_store
from healthcare_dataops.resources import LakehouseResource, MlflowResource

FEATURE_DRIFT_REPORT = "feature_drift_report"
# The metadata entry naming the delivery day a report stands for: the retraining it asks for
# scores that day.
DELIVERY_DAY = "delivery_day"
PARTITION_TAG, RANGE_END_TAG = "dagster/partition", "dagster/asset_partition_range_end"
NO_CHAMPION = "no champion model yet: nothing to compare against"
FEATURES_HAVE_NOT_DRIFTED = "features_have_not_drifted"


class FeatureDriftConfig(dg.Config):
    window_days: int = Field(
        30, ge=1, description="The current window: admissions discharged in this many days up to the newest discharge."
    )
    drift_threshold: float = Field(
        0.25, gt=0, le=1,
        # Each column's test drifts by chance about 5% of the time, and the utilization counts
        # also creep up as the feeds accumulate history: in the drift scenario (600 patients)
        # the same population gave 6 of 35 drifted features (0.17), an older population with a
        # firmware offset 10 of 35 (0.29). 0.25, nine features, sits between; Evidently's 0.5
        # would wait for more than one changed feed.
        description="Dataset drift when at least this share of the compared features drifted.",
    )
    max_rows_per_window: int = Field(
        5000, ge=100,
        # Measured on 2 shared cores, 35 features, both windows full: 5,000 rows each 4.6-7.8 s,
        # 50,000 rows 7.6-17 s (the tests; the HTML, 5.8 MB either way, takes 0.3-0.7 s of it),
        # plus 4-7 s to import Evidently. Above 1,000 rows Evidently compares by distance
        # (Wasserstein, Jensen-Shannon), which ten times the rows hardly sharpens.
        description="Each window is cut to this many rows by a seeded random sample.",
    )
    sample_seed: int = Field(7, description="Seed of that sample, so a rerun gives the same report.")


@dg.asset(
    deps=[PATIENT_FEATURES, RISK_MODEL],
    # Not partitioned: it compares the whole feature table's newest window with the champion's
    # training rows; it names the delivery day it stands for in its metadata.
    backfill_policy=dg.BackfillPolicy.single_run(),
    retry_policy=IO_RETRY_POLICY,
    group_name="monitoring",
    kinds={"evidently", "mlflow"},
    automation_condition=whole_history(),
    # The report's verdict as a check of its own, so that the asset's health in the UI shows
    # drift. WARN: drift asks for a retraining (feature_drift_sensor), it blocks nothing.
    check_specs=[dg.AssetCheckSpec(
        FEATURES_HAVE_NOT_DRIFTED, asset=FEATURE_DRIFT_REPORT,
        description="The share of the champion's features that drifted stays under the threshold.",
    )],
    description="Evidently data drift of the model's features: the exact rows the champion trained "
    "on (its lineage) against the admissions of the last window_days, and the champion's live "
    "AUROC on scored admissions whose label has arrived. HTML report under the lakehouse's "
    "reports/feature_drift/ and on the champion's MLflow run; feature_drift_sensor reads "
    "dataset_drift to request a retraining.",
)
def feature_drift_report(
    context: dg.AssetExecutionContext,
    config: FeatureDriftConfig,
    lakehouse: LakehouseResource,
    mlflow_tracking: MlflowResource,
) -> dg.MaterializeResult:
    """One report per run, whatever its range, standing for the run's last delivery day."""
    started = time.perf_counter()
    day = reported_day(context, lakehouse)
    client = mlflow_tracking.activate()
    champion = registry.champion_version(client, mlflow_tracking.registered_model_name)
    if champion is None:
        context.log.info(NO_CHAMPION)
        return dg.MaterializeResult(metadata={
            "dataset_drift": False, "drift_share": None, "drift_threshold": config.drift_threshold,
            "champion_version": None, "status": NO_CHAMPION, DELIVERY_DAY: day,
            "step_seconds": round(time.perf_counter() - started, 3)},
            check_results=[drift_check_result(None, NO_CHAMPION, day)])

    options = lakehouse.storage_options()
    try:
        features_version, features = delta_tables.read_snapshot(lakehouse.table_uri("gold", PATIENT_FEATURES), options)
        reference = lineage.training_rows(client, champion, options)
    except (TableNotFoundError, lineage.LineageError) as error:
        raise dg.Failure(description=f"feature_drift_report cannot compare: {error}") from error
    current = drift.current_window(features, config.window_days)
    if current.empty:
        raise dg.Failure(
            description="feature_drift_report cannot compare: patient_features has no discharged admissions")
    ref = drift.sample(reference, config.max_rows_per_window, config.sample_seed)
    cur = drift.sample(current, config.max_rows_per_window, config.sample_seed)

    report_uri = lakehouse.report_uri(f"feature_drift/{day}.html")
    with tempfile.TemporaryDirectory() as folder:
        local = Path(folder) / f"{day}.html"
        result = drift.compare(ref, cur, config.drift_threshold, local)
        report_store.put(local, report_uri, options)
        client.log_artifact(champion.run_id, str(local), artifact_path="drift_reports")

    scores = delta_tables.read_columns(lakehouse.table_uri("gold", PATIENT_RISK_SCORES), performance.SCORE_COLUMNS,
                                       options)
    live = performance.live_performance(scores.to_pandas() if scores is not None else None, features, champion.version)
    status = _status(result, champion.version) + " " + _live_status(live)
    context.log.info(status)
    return dg.MaterializeResult(
        metadata={
            DELIVERY_DAY: day,
            "dataset_drift": result.dataset_drift,
            "drift_share": round(result.drift_share, 4),
            "drift_threshold": config.drift_threshold,
            "champion_version": str(champion.version),
            "status": status,
            "drifted_columns": dg.MetadataValue.md(drift.markdown_table(result)),
            "skipped_columns": ", ".join(result.skipped_columns) or "none",
            "reference_rows": len(ref),
            "reference_rows_before_sampling": len(reference),
            "current_rows": len(cur),
            "current_rows_before_sampling": len(current),
            "window_days": config.window_days,
            "patient_features_delta_version": features_version,
            "reference_delta_version": int(champion.tags[lineage.FEATURES_VERSION_TAG]),
            "report_path": dg.MetadataValue.path(report_uri),
            "mlflow_model_version": dg.MetadataValue.url(mlflow_tracking.model_version_url(str(champion.version))),
            "live_auroc": live.auroc,
            "live_labelled_rows": live.labelled_rows,
            "step_seconds": round(time.perf_counter() - started, 3),
        },
        check_results=[drift_check_result(result, status, day)],
    )


def drift_check_result(result: drift.DriftResult | None, status: str, day: str) -> dg.AssetCheckResult:
    """Passed without a champion (nothing to compare yet); failed, as a warning, on dataset drift."""
    return dg.AssetCheckResult(
        check_name=FEATURES_HAVE_NOT_DRIFTED,
        passed=result is None or not result.dataset_drift,
        severity=dg.AssetCheckSeverity.WARN,
        description=status,
        metadata={
            DELIVERY_DAY: day,
            "drift_share": round(result.drift_share, 4) if result else None,
            "drift_threshold": result.threshold if result else None,
            "drifted_features": len(result.drifted_columns) if result else 0,
        },
    )


def reported_day(context: dg.AssetExecutionContext, lakehouse: LakehouseResource) -> str:
    """The delivery day a report stands for: the last day its run covers, or, in a run of no
    days (materialized alone), the newest day the lakehouse holds."""
    tags = context.run.tags
    day = tags.get(PARTITION_TAG) or tags.get(RANGE_END_TAG)
    if day:
        return day
    delivered = spark_tables.rows_per_partition(lakehouse.table_uri("silver", PATIENTS))
    return max(delivered) if delivered else dt.date.today().isoformat()


def _status(result: drift.DriftResult, version: str) -> str:
    compared = len(result.columns)
    found = f"{len(result.drifted_columns)} of {compared} features drifted against champion v{version}'s training rows"
    if result.dataset_drift:
        return f"Dataset drift: {found} (share {result.drift_share:.3f} >= threshold {result.threshold:g})."
    return f"No dataset drift: {found} (share {result.drift_share:.3f} < threshold {result.threshold:g})."


def _live_status(live: performance.LivePerformance) -> str:
    if not live.labelled_rows:
        return "No scored admission's 30-day label has arrived yet."
    if live.auroc is None:
        return f"{live.labelled_rows} scored admissions have labels, all the same: no live AUROC."
    return f"Live AUROC {live.auroc:.3f} on {live.labelled_rows} scored admissions with labels."

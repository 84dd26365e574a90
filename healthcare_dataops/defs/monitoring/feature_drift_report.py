"""``feature_drift_report``: whether the champion should be retrained, and why."""

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
from healthcare_dataops.ml import lineage, model_card, registry
from healthcare_dataops.ml.dataset import monitored_rows
from healthcare_dataops.model_health import decision, drift, performance, report_store, scored_stays
from healthcare_dataops.resources import LakehouseResource, MlflowResource

FEATURE_DRIFT_REPORT = "feature_drift_report"
# The metadata entry naming the delivery day a report stands for: the retraining it asks for
# scores that day.
DELIVERY_DAY = "delivery_day"
# Whether the report asks for a retraining (feature or performance drift): what the sensor reads.
RETRAIN_RECOMMENDED = "retrain_recommended"
PARTITION_TAG, RANGE_END_TAG = "dagster/partition", "dagster/asset_partition_range_end"
NO_CHAMPION = "no champion model yet: nothing to compare against"
FEATURES_HAVE_NOT_DRIFTED = "features_have_not_drifted"
LIVE_AUROC_HOLDS = "live_auroc_holds"
SCORED_STAYS_ARE_STEADY = "scored_stays_are_steady"


class FeatureDriftConfig(dg.Config):
    window_days: int = Field(
        30, ge=1, description="The current window: admissions discharged in this many days (real time) up to the "
        "newest discharge; the scored stays of this many delivery days against those of as many before."
    )
    drift_threshold: float = Field(
        drift.DEFAULT_IMPORTANCE_THRESHOLD, gt=0, le=1,
        description="Feature drift when the drift score reaches this: the sum, over the features that moved beyond "
        "their calibrated thresholds, of each one's share of the champion's importance (total gain) times how far "
        "beyond its threshold it moved (at most three times).",
    )
    max_rows_per_window: int = Field(
        5000, ge=100,
        # Above a few thousand rows the effect sizes hardly sharpen, and the calibration draws a
        # hundred control windows of the current window's size.
        description="Each window is cut to this many rows by a seeded random sample.",
    )
    sample_seed: int = Field(7, description="Seed of that sample and of the control windows, so a rerun gives the "
                             "same report.")


def _check_specs() -> list[dg.AssetCheckSpec]:
    # The report's verdicts as checks of their own, so that the asset's health in the UI shows
    # them. WARN: drift asks for a retraining (feature_drift_sensor), it blocks nothing.
    described = {
        FEATURES_HAVE_NOT_DRIFTED: "The drift score (each feature that moved beyond its calibrated threshold, "
        "weighted by the champion's importance) stays under drift_threshold.",
        LIVE_AUROC_HOLDS: "The champion's live AUROC on scored admissions whose label arrived is not wholly below "
        "its holdout AUROC.",
        SCORED_STAYS_ARE_STEADY: "The open stays scored in the window, their inputs and their scores, match those "
        "scored in the window before.",
    }
    return [dg.AssetCheckSpec(name, asset=FEATURE_DRIFT_REPORT, description=text) for name, text in described.items()]


@dg.asset(
    deps=[PATIENT_FEATURES, RISK_MODEL],
    # Not partitioned: it compares the whole feature table's newest window with the champion's
    # population; it names the delivery day it stands for in its metadata.
    backfill_policy=dg.BackfillPolicy.single_run(),
    retry_policy=IO_RETRY_POLICY,
    group_name="monitoring",
    kinds={"evidently", "mlflow"},
    automation_condition=whole_history(),
    check_specs=_check_specs(),
    description="Whether the champion should be retrained, and why: feature drift by effect size against "
    "thresholds calibrated on control windows, weighted by the champion's feature importance (the admissions "
    "of the last window_days against its population when it was trained, found through its lineage); the "
    "champion's live AUROC with its interval; the scored open stays against the window before. Evidently HTML "
    "report under the lakehouse's reports/feature_drift/ and on the champion's MLflow run; the decision on its "
    "model card; feature_drift_sensor reads retrain_recommended to request a retraining.",
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
    name = mlflow_tracking.registered_model_name
    champion = registry.champion_version(client, name)
    if champion is None:
        context.log.info(NO_CHAMPION)
        return dg.MaterializeResult(metadata={
            "dataset_drift": False, RETRAIN_RECOMMENDED: False, "drift_score": None,
            "drift_threshold": config.drift_threshold, "champion_version": None, "status": NO_CHAMPION,
            DELIVERY_DAY: day, "step_seconds": round(time.perf_counter() - started, 3)},
            check_results=[dg.AssetCheckResult(check_name=spec.name, passed=True, severity=dg.AssetCheckSeverity.WARN,
                                               description=NO_CHAMPION, metadata={DELIVERY_DAY: day})
                           for spec in _check_specs()])

    options = lakehouse.storage_options()
    try:
        features_version, features = delta_tables.read_snapshot(lakehouse.table_uri("gold", PATIENT_FEATURES), options)
        population = lineage.population_rows(client, champion, options)
    except (TableNotFoundError, lineage.LineageError) as error:
        raise dg.Failure(description=f"feature_drift_report cannot compare: {error}") from error
    params = client.get_run(champion.run_id).data.params
    requires_labs = params.get("require_lab_results", "True") == "True"
    current = drift.current_window(monitored_rows(features, requires_labs, params.get("train_on_history") == "True"),
                                   config.window_days)
    if current.empty:
        raise dg.Failure(
            description="feature_drift_report cannot compare: patient_features has no discharged index admissions")
    ref = drift.sample(population, config.max_rows_per_window, config.sample_seed)
    cur = drift.sample(current, config.max_rows_per_window, config.sample_seed)
    importance = drift.feature_importance(registry.load_version(name, str(champion.version)).model)

    report_uri = lakehouse.report_uri(f"feature_drift/{day}.html")
    with tempfile.TemporaryDirectory() as folder:
        local = Path(folder) / f"{day}.html"
        result = drift.compare(ref, cur, importance, config.drift_threshold, local, seed=config.sample_seed)
        report_store.put(local, report_uri, options)
        client.log_artifact(champion.run_id, str(local), artifact_path="drift_reports")

    scores = delta_tables.read_columns(lakehouse.table_uri("gold", PATIENT_RISK_SCORES), performance.SCORE_COLUMNS,
                                       options)
    live = performance.live_performance(scores.to_pandas() if scores is not None else None, features, champion.version)
    holdout_auroc = client.get_run(champion.run_id).data.metrics.get("holdout_auroc")
    verdict = performance.performance_drift(live, holdout_auroc)
    stays = scored_stays.monitor(_scored(lakehouse, options), population, importance, config.drift_threshold,
                                 config.window_days, seed=config.sample_seed)
    decided = decision.decide(result, verdict, stays, str(champion.version))
    client.update_model_version(name, str(champion.version), description=model_card.with_drift_decision(
        champion.description, decided.markdown(day, str(champion.version))))
    context.log.info(decided.text())
    return dg.MaterializeResult(
        metadata={
            DELIVERY_DAY: day,
            RETRAIN_RECOMMENDED: decided.retrain,
            "dataset_drift": result.dataset_drift,
            "drift_score": round(result.score, 4),
            "drift_threshold": config.drift_threshold,
            "performance_drift": verdict.drifted,
            "champion_version": str(champion.version),
            "status": decided.text(),
            "decision": dg.MetadataValue.md(decided.markdown(day, str(champion.version))),
            "drifted_columns": dg.MetadataValue.md(drift.markdown_table(result)),
            "skipped_columns": ", ".join(result.skipped_columns) or "none",
            "reference_rows": len(ref),
            "reference_rows_before_sampling": len(population),
            "current_rows": len(cur),
            "current_rows_before_sampling": len(current),
            "window_days": config.window_days,
            "patient_features_delta_version": features_version,
            "reference_delta_version": int(champion.tags[lineage.FEATURES_VERSION_TAG]),
            "report_path": dg.MetadataValue.path(report_uri),
            "mlflow_model_version": dg.MetadataValue.url(mlflow_tracking.model_version_url(str(champion.version))),
            "live_auroc": live.auroc,
            "live_auroc_ci_low": live.interval.low,
            "live_auroc_ci_high": live.interval.high,
            "live_labelled_rows": live.labelled_rows,
            "champion_holdout_auroc": holdout_auroc,
            "scored_stays": stays.current_stays,
            "scored_stays_drifted": stays.drifted,
            "scored_stays_below_shortest_training_stay": stays.below_shortest_stay,
            "scored_stays_skew": dg.MetadataValue.json({c: round(d, 3) for c, d in stays.skew}),
            "step_seconds": round(time.perf_counter() - started, 3),
        },
        check_results=_check_results(result, verdict, stays, decided, day),
    )


def _scored(lakehouse: LakehouseResource, options: dict[str, str]):
    table = delta_tables.open_table(lakehouse.table_uri("gold", PATIENT_RISK_SCORES), options)
    if table is None:
        return None
    names = set(table.schema().to_arrow().names)
    return table.to_pyarrow_dataset().to_table(
        columns=[c for c in scored_stays.SCORE_READ_COLUMNS if c in names]).to_pandas().reindex(
        columns=list(scored_stays.SCORE_READ_COLUMNS))


def _check_results(result: drift.DriftResult, verdict: performance.PerformanceVerdict,
                   stays: scored_stays.ScoredStays, decided: decision.DriftDecision, day: str,
                   ) -> list[dg.AssetCheckResult]:
    features, live, scored = decided.reasons
    warn = dg.AssetCheckSeverity.WARN
    return [
        dg.AssetCheckResult(check_name=FEATURES_HAVE_NOT_DRIFTED, passed=not result.dataset_drift, severity=warn,
                            description=features, metadata={
                                DELIVERY_DAY: day, "drift_score": round(result.score, 4),
                                "drift_threshold": result.threshold,
                                "drifted_features": len(result.drifted_columns)}),
        dg.AssetCheckResult(check_name=LIVE_AUROC_HOLDS, passed=not verdict.drifted, severity=warn,
                            description=live, metadata={DELIVERY_DAY: day}),
        dg.AssetCheckResult(check_name=SCORED_STAYS_ARE_STEADY, passed=not stays.drifted, severity=warn,
                            description=scored, metadata={DELIVERY_DAY: day, "scored_stays": stays.current_stays}),
    ]


def reported_day(context: dg.AssetExecutionContext, lakehouse: LakehouseResource) -> str:
    """The delivery day a report stands for: the last day its run covers, or, in a run of no
    days (materialized alone), the newest day the lakehouse holds."""
    tags = context.run.tags
    day = tags.get(PARTITION_TAG) or tags.get(RANGE_END_TAG)
    if day:
        return day
    delivered = spark_tables.rows_per_partition(lakehouse.table_uri("silver", PATIENTS))
    return max(delivered) if delivered else dt.date.today().isoformat()

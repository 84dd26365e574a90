"""``feature_drift_sensor``: a drifted feature_drift_report asks for one retraining."""

import datetime as dt
import json

import dagster as dg

from healthcare_dataops.defs.monitoring.cooldown import RETRAIN_COOLDOWN_HOURS, retrain_cooldown
from healthcare_dataops.defs.monitoring.feature_drift_report import FEATURE_DRIFT_REPORT
from healthcare_dataops.defs.monitoring.jobs import retrain_job

DRIFT_SHARE_TAG = "healthcare_dataops/drift_share"
DRIFT_REPORT_RUN_TAG = "healthcare_dataops/drift_report_run"


@dg.sensor(
    name="feature_drift_sensor",
    target=retrain_job,
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Requests retrain_job once for each feature_drift_report that found dataset drift, "
    f"at most once per cool-down ({RETRAIN_COOLDOWN_HOURS}, default 24 hours).",
)
def feature_drift_sensor(context: dg.SensorEvaluationContext) -> dg.SensorResult:
    """Running by default: a tick reads one event record from the instance (milliseconds, no
    drift computation, no data), and it only acts when a report found drift; a model that is
    left to drift because nobody switched a sensor on is the failure this exists to prevent.

    The cursor keeps the storage id of the last report handled and the time of the last
    request; the request's run key is the report's storage id, so the same drift event never
    retrains twice even if the cursor is lost.
    """
    cursor = json.loads(context.cursor) if context.cursor else {}
    handled, last_request = cursor.get("handled_storage_id", 0), cursor.get("last_request_at")
    records = context.instance.fetch_materializations(dg.AssetKey(FEATURE_DRIFT_REPORT), limit=1).records
    if not records:
        return dg.SensorResult(skip_reason="No feature_drift_report has been materialized yet.")
    record = records[0]
    event = record.asset_materialization
    report = f"feature_drift_report {event.partition} (storage id {record.storage_id})"
    if record.storage_id <= handled:
        return dg.SensorResult(skip_reason=f"Already handled the latest report, {report}.")
    metadata = {key: value.value for key, value in event.metadata.items()}
    if not metadata.get("dataset_drift"):
        share, threshold = metadata.get("drift_share"), metadata.get("drift_threshold")
        seen = (f"share {share:.3f} below threshold {threshold:g}" if share is not None
                else metadata.get("status", "no drift result in its metadata"))
        return dg.SensorResult(skip_reason=f"No drift in {report}: {seen}.",
                               cursor=json.dumps({**cursor, "handled_storage_id": record.storage_id}))

    now = dt.datetime.now(dt.UTC)
    if last_request and now < (until := dt.datetime.fromisoformat(last_request) + retrain_cooldown()):
        # The cursor stays: if this report is still the latest when the cool-down ends, it retrains then.
        return dg.SensorResult(skip_reason=f"Drift in {report} (share {metadata['drift_share']:.3f}), but "
                               f"cooling down until {until.isoformat(timespec='seconds')} after the last request.")
    context.log.info(f"requesting retrain_job: {metadata.get('status')}")
    return dg.SensorResult(
        run_requests=[dg.RunRequest(
            run_key=str(record.storage_id),
            partition_key=event.partition,
            tags={DRIFT_SHARE_TAG: f"{metadata['drift_share']:.4f}", DRIFT_REPORT_RUN_TAG: record.run_id},
        )],
        cursor=json.dumps({"handled_storage_id": record.storage_id, "last_request_at": now.isoformat()}),
    )

"""``feature_drift_sensor``: each drifted feature_drift_report asks for one retraining."""

import datetime as dt
import json

import dagster as dg

from healthcare_dataops import settings
from healthcare_dataops.defs.model.retrain_job import retrain_job
from healthcare_dataops.defs.monitoring.cooldown import (
    RETRAIN_COOLDOWN_HOURS,
    retrain_cooldown,
)
from healthcare_dataops.defs.monitoring.feature_drift_report import (
    DELIVERY_DAY,
    FEATURE_DRIFT_REPORT,
    RETRAIN_RECOMMENDED,
)

DRIFT_SCORE_TAG = "healthcare_dataops/drift_score"
DRIFT_REPORT_RUN_TAG = "healthcare_dataops/drift_report_run"

DEFAULT_DRIFT_SENSOR_INTERVAL_SECONDS = 60
# Reports read in one tick; more wait for the next (the cursor keeps the place).
MAX_REPORTS_PER_TICK = 100


def drift_sensor_interval_seconds() -> int:
    """A minute by default (the daemon's own loop adds up to 5 s): reports come once a day."""
    return settings.read_setting(settings.DRIFT_SENSOR_INTERVAL_SECONDS, str(DEFAULT_DRIFT_SENSOR_INTERVAL_SECONDS),
                                 settings.parse_whole_seconds)


def _describe(record: dg.EventLogRecord) -> str:
    return f"feature_drift_report of {_metadata(record).get(DELIVERY_DAY)} (storage id {record.storage_id})"


def _metadata(record: dg.EventLogRecord) -> dict:
    return {key: value.value for key, value in record.asset_materialization.metadata.items()}


def _score(metadata: dict) -> float | None:
    """The report's drift score (reports from before it was a score named it drift_share)."""
    return metadata.get("drift_score", metadata.get("drift_share"))


def _shown(metadata: dict) -> str:
    score = _score(metadata)
    return "drift score n/a" if score is None else f"drift score {score:.3f}"


def _asks_retraining(metadata: dict) -> bool:
    """Feature or performance drift; reports from before performance counted name only the first."""
    return bool(metadata.get(RETRAIN_RECOMMENDED, metadata.get("dataset_drift")))


@dg.sensor(
    name="feature_drift_sensor",
    target=retrain_job,
    minimum_interval_seconds=drift_sensor_interval_seconds(),
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Requests retrain_job once for each feature_drift_report that recommends retraining (feature or "
    "performance drift), "
    f"at most once per cool-down ({RETRAIN_COOLDOWN_HOURS}, default 24 hours).",
)
def feature_drift_sensor(context: dg.SensorEvaluationContext) -> dg.SensorResult:
    """Running by default: a tick reads event records from the instance (milliseconds, no
    drift computation, no data), and it only acts when a report found drift; a model that is
    left to drift because nobody switched a sensor on is the failure this exists to prevent.

    The cursor keeps the storage id of the last report handled and the time of the last
    request. Every report after it is read in order, so none is passed over when several
    arrive between two ticks (a daemon that was down, a slow tick); a sensor without a cursor
    (switched on for the first time) starts at the newest report, not at the history. The
    request's run key is the report's storage id, so the same drift event never retrains
    twice even if the cursor is lost; and Dagster keeps the cursor with the tick's reserved
    runs, so a daemon killed between creating the run and saving the cursor resumes that tick.

    The cool-down folds drift events: while it runs, drifted reports wait (the cursor stops
    before the first); when it is over, the newest waiting drifted report stands for all of
    them in one retraining. With a cool-down of 0 every drifted report retrains.
    """
    return drift_retrain_requests(context, now=dt.datetime.now(dt.UTC))


def drift_retrain_requests(context: dg.SensorEvaluationContext, *, now: dt.datetime) -> dg.SensorResult:
    """The sensor's tick at ``now``: tests pass the clock in rather than wait out a cool-down."""
    cursor = json.loads(context.cursor) if context.cursor else {}
    handled, last_request = cursor.get("handled_storage_id"), cursor.get("last_request_at")
    key = dg.AssetKey(FEATURE_DRIFT_REPORT)
    if handled is None:
        pending = list(context.instance.fetch_materializations(key, limit=1).records)
    else:
        pending = list(context.instance.fetch_materializations(
            dg.AssetRecordsFilter(asset_key=key, after_storage_id=handled), limit=MAX_REPORTS_PER_TICK,
            ascending=True).records)
    if not pending:
        latest = context.instance.fetch_materializations(key, limit=1).records
        if not latest:
            return dg.SensorResult(skip_reason="No feature_drift_report has been materialized yet.")
        return dg.SensorResult(skip_reason=f"Already handled the latest report, {_describe(latest[0])}.")

    cooldown = retrain_cooldown()
    requests: list[dg.RunRequest] = []
    seen: list[str] = []
    index = 0
    while index < len(pending):
        record = pending[index]
        metadata = _metadata(record)
        if not _asks_retraining(metadata):
            seen.append(f"No retraining asked by {_describe(record)}: "
                        + metadata.get("status", "no drift result in its metadata"))
            handled, index = record.storage_id, index + 1
            continue
        if last_request and now < (until := dt.datetime.fromisoformat(last_request) + cooldown):
            # The cursor stops before this report: it retrains once the cool-down is over.
            seen.append(f"Drift in {_describe(record)} ({_shown(metadata)}), but cooling "
                        f"down until {until.isoformat(timespec='seconds')} after the last request.")
            break
        if cooldown > dt.timedelta(0):
            # Drifted reports after this one would only wait for the cool-down: the newest of
            # this batch stands for them all.
            index = max(i for i in range(index, len(pending)) if _asks_retraining(_metadata(pending[i])))
            record, metadata = pending[index], _metadata(pending[index])
        context.log.info(f"requesting retrain_job for {_describe(record)}: {metadata.get('status')}")
        requests.append(dg.RunRequest(
            run_key=str(record.storage_id),
            # The retraining rescores the day the report stands for.
            partition_key=metadata.get(DELIVERY_DAY),
            tags={DRIFT_SCORE_TAG: f"{_score(metadata) or 0:.4f}", DRIFT_REPORT_RUN_TAG: record.run_id},
        ))
        handled, last_request, index = record.storage_id, now.isoformat(), index + 1

    moved = {**cursor, **({"handled_storage_id": handled} if handled is not None else {}),
             **({"last_request_at": last_request} if last_request else {})}
    new_cursor = json.dumps(moved) if moved else None
    if requests:
        for line in seen:
            context.log.info(line)
        return dg.SensorResult(run_requests=requests, cursor=new_cursor)
    return dg.SensorResult(skip_reason=" ".join(seen), cursor=new_cursor)

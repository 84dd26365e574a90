"""The champion (MLflow), the newest drift report and the newest scores (Dagster instance)."""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

import dagster as dg

from healthcare_dataops import settings
from healthcare_dataops.pipeline_status import links

if TYPE_CHECKING:
    from mlflow import MlflowClient

REGISTERED_MODEL = "readmission_risk"
DRIFT_REPORT, RISK_SCORES, RISK_MODEL = "feature_drift_report", "patient_risk_scores", "risk_model"


@dataclass(frozen=True)
class ChampionStatus:
    """The version scoring today's stays; ``version`` None where no version holds the alias."""

    model_name: str
    version: str | None = None
    holdout_auroc: float | None = None
    holdout_calibration_error: float | None = None
    holdout_brier: float | None = None
    trained_at: dt.datetime | None = None
    mlflow_url: str | None = None


@dataclass(frozen=True)
class DriftStatus:
    """The newest feature_drift_report; ``reported_at`` None where none was materialized."""

    status: str = "no feature_drift_report materialized yet"
    dataset_drift: bool | None = None
    drift_share: float | None = None
    drift_threshold: float | None = None
    live_auroc: float | None = None
    delivery_day: str | None = None
    champion_version: str | None = None
    reported_at: dt.datetime | None = None
    run_id: str | None = None
    dagster_url: str = ""


@dataclass(frozen=True)
class ScoresStatus:
    stays: int | None = None
    delivery_day: str | None = None
    model_version: str | None = None
    scored_at: dt.datetime | None = None


def mlflow_client() -> MlflowClient:
    """A client of the store the model assets use (``HEALTHCARE_DATAOPS_MLFLOW_TRACKING_URI``)."""
    from mlflow import MlflowClient

    uri = os.environ.get(settings.MLFLOW_TRACKING_URI) or settings.default_mlflow_tracking_uri()
    return MlflowClient(tracking_uri=uri, registry_uri=uri)


def champion_status(client: MlflowClient, model_name: str = REGISTERED_MODEL) -> ChampionStatus:
    from mlflow.exceptions import MlflowException

    try:
        version = client.get_model_version_by_alias(model_name, "champion")
    except MlflowException:
        return ChampionStatus(model_name)
    run = client.get_run(version.run_id)
    metrics = run.data.metrics
    return ChampionStatus(
        model_name=model_name,
        version=str(version.version),
        holdout_auroc=metrics.get("holdout_auroc"),
        holdout_calibration_error=metrics.get("holdout_calibration_error"),
        holdout_brier=metrics.get("holdout_brier"),
        trained_at=dt.datetime.fromtimestamp(run.info.start_time / 1000, dt.UTC),
        mlflow_url=links.model_version_page(model_name, str(version.version)),
    )


def _newest(instance: dg.DagsterInstance, asset: str) -> dg.EventLogRecord | None:
    records = instance.fetch_materializations(dg.AssetKey(asset), limit=1).records
    return records[0] if records else None


def _values(record: dg.EventLogRecord) -> dict[str, object]:
    return {key: value.value for key, value in record.asset_materialization.metadata.items()}


def drift_status(instance: dg.DagsterInstance) -> DriftStatus:
    record = _newest(instance, DRIFT_REPORT)
    if record is None:
        return DriftStatus(dagster_url=links.asset_page(DRIFT_REPORT))
    found = _values(record)
    return DriftStatus(
        status=str(found.get("status", "")),
        dataset_drift=found.get("dataset_drift"),
        drift_share=found.get("drift_share"),
        drift_threshold=found.get("drift_threshold"),
        live_auroc=found.get("live_auroc"),
        delivery_day=found.get("delivery_day"),
        champion_version=found.get("champion_version"),
        reported_at=dt.datetime.fromtimestamp(record.timestamp, dt.UTC),
        run_id=record.run_id,
        dagster_url=links.asset_page(DRIFT_REPORT),
    )


def scores_status(instance: dg.DagsterInstance) -> ScoresStatus:
    """The newest delivery day scored (a rescoring of an older day does not make it newer)."""
    key = dg.AssetKey(RISK_SCORES)
    days = instance.get_materialized_partitions(key)
    if not days:
        return ScoresStatus()
    newest = max(days)
    record = instance.fetch_materializations(dg.AssetRecordsFilter(asset_key=key, asset_partitions=[newest]),
                                             limit=1).records[0]
    found = _values(record)
    scored_day = found.get("scored_delivery_day", newest)
    if scored_day != newest:
        # A range run's other days point at the day it scored, whose event has the counts.
        return ScoresStatus(delivery_day=scored_day, scored_at=dt.datetime.fromtimestamp(record.timestamp, dt.UTC))
    return ScoresStatus(stays=found.get("dagster/row_count"), delivery_day=newest,
                        model_version=found.get("model_version"),
                        scored_at=dt.datetime.fromtimestamp(record.timestamp, dt.UTC))

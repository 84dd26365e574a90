"""The champion (MLflow), the newest drift report and the newest scores (Dagster instance)."""

from __future__ import annotations

import datetime as dt
import os
import re
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
class BaselineStatus:
    """A clinical score on the champion's holdout, and the champion's paired margin over it."""

    name: str
    auroc: float | None
    margin: float | None
    margin_low: float | None
    margin_high: float | None


@dataclass(frozen=True)
class ChampionStatus:
    """The version scoring today's stays; ``version`` None where no version holds the alias.
    ``model_card``: the version's description in the registry (cohort rules, split, intervals,
    baselines, gate and the last drift decision), markdown."""

    model_name: str
    version: str | None = None
    holdout_auroc: float | None = None
    holdout_auroc_ci_low: float | None = None
    holdout_auroc_ci_high: float | None = None
    holdout_calibration_error: float | None = None
    holdout_brier: float | None = None
    unseen_patients_auroc: float | None = None
    baselines: tuple[BaselineStatus, ...] = ()
    trained_at: dt.datetime | None = None
    mlflow_url: str | None = None
    model_card: str | None = None


@dataclass(frozen=True)
class DriftStatus:
    """The newest feature_drift_report; ``reported_at`` None where none was materialized."""

    status: str = "no feature_drift_report materialized yet"
    retrain_recommended: bool | None = None
    dataset_drift: bool | None = None
    performance_drift: bool | None = None
    drift_score: float | None = None
    drift_threshold: float | None = None
    live_auroc: float | None = None
    live_auroc_ci_low: float | None = None
    live_auroc_ci_high: float | None = None
    # The decision with each of its reasons, markdown.
    decision: str | None = None
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
        holdout_auroc_ci_low=metrics.get("holdout_auroc_ci_low"),
        holdout_auroc_ci_high=metrics.get("holdout_auroc_ci_high"),
        holdout_calibration_error=metrics.get("holdout_calibration_error"),
        holdout_brier=metrics.get("holdout_brier"),
        unseen_patients_auroc=metrics.get("holdout_unseen_patients_auroc"),
        baselines=_baselines(metrics),
        trained_at=dt.datetime.fromtimestamp(run.info.start_time / 1000, dt.UTC),
        mlflow_url=links.model_version_page(model_name, str(version.version)),
        model_card=version.description or None,
    )


def _baselines(metrics: dict[str, float]) -> tuple[BaselineStatus, ...]:
    """The baselines risk_model logged (``ml.evaluation_log``: ``baseline_<name>_auroc`` and
    ``auroc_minus_<name>`` with its interval)."""
    found = []
    for metric, auroc in sorted(metrics.items()):
        named = re.fullmatch(r"baseline_(\w+)_auroc", metric)
        if named:
            key = named.group(1)
            found.append(BaselineStatus(
                key.upper(), auroc, metrics.get(f"auroc_minus_{key}"),
                metrics.get(f"auroc_minus_{key}_ci_low"), metrics.get(f"auroc_minus_{key}_ci_high")))
    return tuple(found)


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
        retrain_recommended=found.get("retrain_recommended"),
        dataset_drift=found.get("dataset_drift"),
        performance_drift=found.get("performance_drift"),
        drift_score=found.get("drift_score"),
        drift_threshold=found.get("drift_threshold"),
        live_auroc=found.get("live_auroc"),
        live_auroc_ci_low=found.get("live_auroc_ci_low"),
        live_auroc_ci_high=found.get("live_auroc_ci_high"),
        decision=found.get("decision"),
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

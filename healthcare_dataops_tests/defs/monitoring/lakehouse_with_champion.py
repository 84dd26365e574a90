"""A test lakehouse whose gold patient_features trained a champion, and reports made on it."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import pandas as pd
from dagster._core.storage.tags import (
    ASSET_PARTITION_RANGE_END_TAG,
    ASSET_PARTITION_RANGE_START_TAG,
)

from healthcare_dataops.defs.model.risk_model import risk_model
from healthcare_dataops.defs.monitoring.feature_drift_report import (
    FEATURE_DRIFT_REPORT,
    feature_drift_report,
)
from healthcare_dataops_tests import dagster_helpers
from healthcare_dataops_tests.dagster_helpers import model_resources
from healthcare_dataops_tests.ml import synthetic_features

TRAINED_ON = "2026-01-14"
# Fewer, shallower trees than the defaults: these tests need a champion, not a good one.
QUICK = {"n_estimators": 60, "min_auroc": 0.5, "require_beat_lace": False}


def write_features(root: Path, frame: pd.DataFrame) -> None:
    """Each write is a new Delta version of gold patient_features."""
    synthetic_features.write(root / "lakehouse", frame)


def train_champion(root: Path) -> dict[str, object]:
    """Trains on the current patient_features; returns risk_model's metadata."""
    config = {**QUICK, "generator_truth_file": str(root / "no_truth.csv")}
    result = dg.materialize([risk_model], resources=model_resources(root),
                            run_config={"ops": {"risk_model": {"config": config}}})
    [event] = result.get_asset_materialization_events()
    assert event.materialization.metadata["alias"].value == "champion"
    return {k: v.value for k, v in event.materialization.metadata.items()}


def report(root: Path, first_day: str, last_day: str | None = None, *, instance=None,
           **config) -> dg.ExecuteInProcessResult:
    """One run of feature_drift_report over first_day..last_day, as a backfill runs it."""
    return dg.materialize(
        [feature_drift_report], resources=model_resources(root), instance=instance,
        tags={ASSET_PARTITION_RANGE_START_TAG: first_day, ASSET_PARTITION_RANGE_END_TAG: last_day or first_day},
        run_config={"ops": {"feature_drift_report": {"config": config}}},
    )


def report_metadata(result: dg.ExecuteInProcessResult) -> dict[str, object]:
    """The run's one report (unpartitioned: it names the delivery day it stands for)."""
    return dagster_helpers.metadata_of(result, FEATURE_DRIFT_REPORT)

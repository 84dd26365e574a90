"""Back from a registered model version to exactly the feature rows it was built on."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd
from deltalake import DeltaTable

from healthcare_dataops.ml.dataset import TemporalSplit, monitored_rows, temporal_split

if TYPE_CHECKING:
    from mlflow import MlflowClient
    from mlflow.entities.model_registry import ModelVersion

FEATURES_URI_TAG = "lineage.patient_features_uri"
FEATURES_VERSION_TAG = "lineage.patient_features_delta_version"
CODE_VERSION_TAG = "lineage.code_version"
DAGSTER_RUN_TAG = "lineage.dagster_run_id"


class LineageError(LookupError):
    """A version's lineage does not lead back to its training rows."""


def _snapshot(client: MlflowClient, version: ModelVersion, storage_options: dict[str, str]):
    tags = version.tags
    if FEATURES_URI_TAG not in tags or FEATURES_VERSION_TAG not in tags:
        raise LineageError(f"model version {version.version} has no lineage tags ({FEATURES_VERSION_TAG})")
    params = client.get_run(version.run_id).data.params
    try:
        snapshot = DeltaTable(tags[FEATURES_URI_TAG], version=int(tags[FEATURES_VERSION_TAG]),
                              storage_options=storage_options).to_pandas()
    except Exception as error:  # delta-rs: a vacuumed or missing version
        raise LineageError(
            f"patient_features version {tags[FEATURES_VERSION_TAG]} at {tags[FEATURES_URI_TAG]} "
            f"cannot be read: {error}"
        ) from error
    return snapshot, params


def _requires_labs(params: dict[str, str]) -> bool:
    return params.get("require_lab_results", "True") == "True"


def _history(params: dict[str, str]) -> bool:
    return params.get("train_on_history", "False") == "True"


def training_rows(client: MlflowClient, version: ModelVersion, storage_options: dict[str, str]) -> pd.DataFrame:
    """The Delta snapshot the version's tags name, split again with the run's logged
    parameters; the row count must match what the run logged, or this raises."""
    snapshot, params = _snapshot(client, version, storage_options)
    return _checked_train(snapshot, params, version)


def _checked_train(snapshot: pd.DataFrame, params: dict[str, str], version: ModelVersion) -> pd.DataFrame:
    return _checked_split(snapshot, params, version).train


def _checked_split(snapshot: pd.DataFrame, params: dict[str, str], version: ModelVersion) -> TemporalSplit:
    # Versions trained before the embargo existed logged none: they split without one.
    split = temporal_split(snapshot, float(params["holdout_fraction"]), 1, _requires_labs(params),
                           float(params.get("embargo_days", 0)), _history(params))
    if len(split.train) != int(params["train_rows"]):
        raise LineageError(
            f"re-splitting patient_features version {version.tags[FEATURES_VERSION_TAG]} gives "
            f"{len(split.train)} training rows; version {version.version} logged {params['train_rows']}"
        )
    return split


def split_of(client: MlflowClient, version: ModelVersion, storage_options: dict[str, str]) -> TemporalSplit:
    """The version's training rows and holdout, exactly as it was split."""
    snapshot, params = _snapshot(client, version, storage_options)
    return _checked_split(snapshot, params, version)


def population_rows(client: MlflowClient, version: ModelVersion, storage_options: dict[str, str]) -> pd.DataFrame:
    """Every admission of the version's population when it was trained: the index admissions
    the feeds had delivered (its training rows, those embargoed, its holdout and those whose
    label was still open), what drift is measured against. Its training rows are checked too."""
    snapshot, params = _snapshot(client, version, storage_options)
    _checked_train(snapshot, params, version)
    return monitored_rows(snapshot, _requires_labs(params), _history(params))

"""The model registry's side of the lifecycle: champion lookup, loading, aliases, lineage."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from typing import TYPE_CHECKING

from healthcare_dataops.ml.dataset import MODEL_INPUTS
from healthcare_dataops.ml.gating import CHALLENGER, CHAMPION

if TYPE_CHECKING:
    import xgboost as xgb
    from mlflow import MlflowClient
    from mlflow.entities.model_registry import ModelVersion


class NoChampion(LookupError):
    """No version of the registered model holds the ``champion`` alias."""


@dataclass(frozen=True)
class LoadedModel:
    name: str
    version: str
    model: xgb.XGBClassifier


def champion_version(client: MlflowClient, name: str) -> ModelVersion | None:
    from mlflow.exceptions import MlflowException

    try:
        return client.get_model_version_by_alias(name, CHAMPION)
    except MlflowException as error:
        # No such registered model; or one whose versions all lost the gate (no alias yet).
        if error.error_code == "RESOURCE_DOES_NOT_EXIST" or (
                error.error_code == "INVALID_PARAMETER_VALUE" and f"alias {CHAMPION} not found" in error.message):
            return None
        raise


def load_version(name: str, version: str) -> LoadedModel:
    """The XGBoost classifier of one version, after checking it takes today's inputs.

    The artifacts are fetched once; the signature and the model are read from that copy."""
    import mlflow.artifacts
    import mlflow.xgboost
    from mlflow.models import Model

    with tempfile.TemporaryDirectory() as folder:
        local = mlflow.artifacts.download_artifacts(f"models:/{name}/{version}", dst_path=folder)
        signature = Model.load(local).signature
        _check_inputs(name, version, signature)
        return LoadedModel(name, str(version), mlflow.xgboost.load_model(local))


def _check_inputs(name: str, version: str, signature) -> None:
    inputs = tuple(signature.inputs.input_names()) if signature else ()
    if inputs != MODEL_INPUTS:
        missing = sorted(set(MODEL_INPUTS) - set(inputs))
        extra = sorted(set(inputs) - set(MODEL_INPUTS))
        raise ValueError(
            f"{name} v{version} expects other inputs than the current feature table gives "
            f"(missing from it: {missing or 'none'}; not produced any more: {extra or 'none'})"
        )


def load_champion(client: MlflowClient, name: str) -> LoadedModel:
    found = champion_version(client, name)
    if found is None:
        raise NoChampion(
            f"no version of the registered model '{name}' has the alias '{CHAMPION}' yet. "
            "Materialize risk_model: a version that clears the AUROC floor becomes champion "
            "(or set force_promotion in its run config)."
        )
    return load_version(name, str(found.version))


def assign_alias(client: MlflowClient, name: str, version: str, alias: str) -> None:
    """``champion`` moves to this version; ``challenger`` marks the newest version that lost."""
    from mlflow.exceptions import MlflowException

    client.set_registered_model_alias(name, alias, version)
    if alias == CHAMPION:
        try:
            challenger = client.get_model_version_by_alias(name, CHALLENGER)
        except MlflowException:
            return
        if challenger.version == version:
            client.delete_registered_model_alias(name, CHALLENGER)

"""Everything measured on the newest holdout: the new model, the champion, the ceiling."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import pandas as pd

from healthcare_dataops.ml import oracle, registry, tracking
from healthcare_dataops.ml.dataset import SUBGROUPS, TemporalSplit, labels
from healthcare_dataops.ml.evaluation import Metrics, auroc, metrics, subgroup_metrics
from healthcare_dataops.ml.gating import CurrentChampion
from healthcare_dataops.ml.training import predict_risk

if TYPE_CHECKING:
    import xgboost as xgb
    from mlflow import MlflowClient


@dataclass(frozen=True)
class Evaluation:
    holdout: Metrics
    subgroups: pd.DataFrame
    images: dict[str, bytes]
    oracle: oracle.OracleComparison | None


def evaluate(model: xgb.XGBClassifier, split: TemporalSplit, key: bytes, truth_path: str | None = None) -> Evaluation:
    y = labels(split.holdout)
    risk = predict_risk(model, split.holdout).to_numpy()
    found = metrics(y, risk)
    truth = oracle.true_probabilities(truth_path or oracle.default_truth_path(), key)
    return Evaluation(
        holdout=found,
        subgroups=subgroup_metrics(split.holdout, y, risk, SUBGROUPS),
        images=tracking.plot_images(y, risk, found.auroc, model),
        oracle=None if truth is None else oracle.compare(split.holdout, y, risk, truth),
    )


def score_champion(client: MlflowClient, name: str, holdout: pd.DataFrame) -> CurrentChampion | None:
    """The current champion's AUROC on the new holdout, the one number the gate compares."""
    from mlflow.exceptions import MlflowException

    current = registry.champion_version(client, name)
    if current is None:
        return None
    try:
        loaded = registry.load_version(name, current.version)
    except (MlflowException, ValueError, OSError) as error:
        return CurrentChampion(str(current.version), None, str(error))
    return CurrentChampion(str(current.version), auroc(labels(holdout), predict_risk(loaded.model, holdout).to_numpy()))

"""Everything measured on the newest holdout: the new model with its intervals, the same on
patients it never saw, the clinical baselines, the champion (paired), the ceiling."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from healthcare_dataops.ml import oracle, registry, tracking
from healthcare_dataops.ml.baselines import BaselineScore, score_baselines
from healthcare_dataops.ml.dataset import SUBGROUPS, TemporalSplit, labels
from healthcare_dataops.ml.evaluation import Metrics, auroc, metrics, subgroup_metrics
from healthcare_dataops.ml.gating import CurrentChampion
from healthcare_dataops.ml.training import predict_risk
from healthcare_dataops.ml.uncertainty import paired_auroc_difference

if TYPE_CHECKING:
    import xgboost as xgb
    from mlflow import MlflowClient


@dataclass(frozen=True)
class Evaluation:
    holdout: Metrics
    # The holdout's patients with no admission in training: what the model does for someone new.
    unseen_patients: Metrics
    subgroups: pd.DataFrame
    baselines: list[BaselineScore]
    images: dict[str, bytes]
    oracle: oracle.OracleComparison | None
    risk: np.ndarray


def evaluate(model: xgb.XGBClassifier, split: TemporalSplit, key: bytes, truth_path: str | None = None) -> Evaluation:
    y = labels(split.holdout)
    risk = predict_risk(model, split.holdout).to_numpy()
    found = metrics(y, risk, with_intervals=True)
    unseen = split.unseen_patients().to_numpy()
    truth = oracle.true_probabilities(truth_path or oracle.default_truth_path(), key)
    return Evaluation(
        holdout=found,
        unseen_patients=metrics(y[unseen], risk[unseen], with_intervals=True),
        subgroups=subgroup_metrics(split.holdout, y, risk, SUBGROUPS),
        baselines=score_baselines(split.holdout, y, risk),
        images=tracking.plot_images(y, risk, found.auroc, model),
        oracle=None if truth is None else oracle.compare(split.holdout, y, risk, truth),
        risk=risk,
    )


def score_champion(client: MlflowClient, name: str, holdout: pd.DataFrame, candidate_risk: np.ndarray,
                   ) -> CurrentChampion | None:
    """The current champion on the new holdout: its AUROC, and the candidate's paired margin
    over it on the same rows, what the gate compares."""
    from mlflow.exceptions import MlflowException

    current = registry.champion_version(client, name)
    if current is None:
        return None
    try:
        loaded = registry.load_version(name, current.version)
    except (MlflowException, ValueError, OSError) as error:
        return CurrentChampion(str(current.version), None, str(error))
    y, risk = labels(holdout), predict_risk(loaded.model, holdout).to_numpy()
    return CurrentChampion(str(current.version), auroc(y, risk),
                           difference=paired_auroc_difference(y, candidate_risk, risk))

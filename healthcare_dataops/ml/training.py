"""Fitting the XGBoost classifier: early stopping on the newest slice of the training rows."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

import pandas as pd

from healthcare_dataops.ml.dataset import labels, model_matrix

if TYPE_CHECKING:
    import xgboost as xgb


@dataclass(frozen=True)
class Hyperparameters:
    n_estimators: int = 600
    learning_rate: float = 0.03
    max_depth: int = 3
    min_child_weight: float = 5.0
    subsample: float = 0.8
    colsample_bytree: float = 0.8
    reg_lambda: float = 5.0
    early_stopping_rounds: int = 50
    # The newest share of the training rows that early stopping watches: like the holdout,
    # it lies after what the trees learn from, so the stopping point favours what generalizes
    # forward in time.
    validation_fraction: float = 0.2
    seed: int = 7
    n_jobs: int = 2

    def as_params(self) -> dict[str, float | int]:
        return asdict(self)


def fit(train: pd.DataFrame, hyper: Hyperparameters) -> xgb.XGBClassifier:
    """``train`` is sorted oldest first (see ``temporal_split``).

    Early stopping on the newest slice picks the number of trees; the final model is then
    refitted on every training row with that many, so the newest admissions teach it too.
    """
    x, y = model_matrix(train), labels(train)
    watched = round(len(train) * hyper.validation_fraction)
    fit_y, val_y = y[:-watched] if watched else y, y[-watched:] if watched else y[:0]
    trees = hyper.n_estimators
    if len(set(val_y)) == 2 and len(set(fit_y)) == 2:
        probe = _classifier(hyper, trees, early_stopping_rounds=hyper.early_stopping_rounds)
        probe.fit(x.iloc[:-watched], fit_y, eval_set=[(x.iloc[-watched:], val_y)], verbose=False)
        trees = probe.best_iteration + 1
    # else a slice with one class cannot judge a stopping point: every tree is used.
    model = _classifier(hyper, trees)
    model.fit(x, y, verbose=False)
    return model


def _classifier(hyper: Hyperparameters, trees: int, early_stopping_rounds: int | None = None) -> xgb.XGBClassifier:
    import xgboost as xgb

    return xgb.XGBClassifier(
        n_estimators=trees,
        learning_rate=hyper.learning_rate,
        max_depth=hyper.max_depth,
        min_child_weight=hyper.min_child_weight,
        subsample=hyper.subsample,
        colsample_bytree=hyper.colsample_bytree,
        reg_lambda=hyper.reg_lambda,
        tree_method="hist",
        objective="binary:logistic",
        eval_metric="logloss",
        early_stopping_rounds=early_stopping_rounds,
        random_state=hyper.seed,
        n_jobs=hyper.n_jobs,
    )


def predict_risk(model: xgb.XGBClassifier, rows: pd.DataFrame) -> pd.Series:
    return pd.Series(model.predict_proba(model_matrix(rows))[:, 1], index=rows.index, name="risk")

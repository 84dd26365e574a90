"""Why a stay's risk is what it is: each model input's push on the log-odds, from XGBoost's own
tree SHAP values (``pred_contribs``), the strongest up and down said in clinical words.

Computed when the scores are written (``scoring.score``) and stored beside them, so the
worklist shows the reasons of the model version that gave the risk, never recomputed later by
another one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pyarrow as pa

from healthcare_dataops.ml.clinical_words import describe
from healthcare_dataops.ml.dataset import MODEL_INPUTS, model_matrix

if TYPE_CHECKING:
    import xgboost as xgb

# The strongest pushes kept per direction: enough to read at a glance on the worklist.
TOP_PER_DIRECTION = 3
REASON_TYPE = pa.struct([
    ("feature", pa.string()),
    # Log-odds the feature added (> 0: raised the risk) for this stay.
    ("contribution", pa.float64()),
    ("text", pa.string()),
])
EXPLANATION_TYPE = pa.list_(REASON_TYPE)


def contributions(model: xgb.XGBClassifier, stays: pd.DataFrame) -> pd.DataFrame:
    """One column per model input, one row per stay: its SHAP value in log-odds. With the
    model's base value (``bias``) they add up to the stay's margin, logit(risk)."""
    import xgboost as xgb

    matrix = model_matrix(stays)
    values = model.get_booster().predict(xgb.DMatrix(matrix, missing=float("nan")), pred_contribs=True)
    return pd.DataFrame(values, columns=[*MODEL_INPUTS, "bias"], index=stays.index)


def explain(model: xgb.XGBClassifier, stays: pd.DataFrame, top: int = TOP_PER_DIRECTION) -> list[list[dict]]:
    """Per stay, in ``stays``' order: its ``top`` strongest pushes up, then down, in words."""
    if stays.empty:
        return []
    pushes = contributions(model, stays).drop(columns="bias").to_numpy()
    names = list(MODEL_INPUTS)
    # Per row, inputs from the strongest push up to the strongest push down.
    order = np.argsort(-pushes, axis=1, kind="stable")
    reasons = []
    for position, (_, stay) in enumerate(stays.iterrows()):
        row, ranked = pushes[position], order[position]
        up = [i for i in ranked[:top] if row[i] > 0]
        down = [i for i in ranked[::-1][:top] if row[i] < 0]
        reasons.append([{"feature": names[i], "contribution": float(row[i]), "text": describe(names[i], stay)}
                        for i in up + down])
    return reasons

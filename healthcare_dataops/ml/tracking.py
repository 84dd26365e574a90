"""What a training run records in MLflow: parameters, metrics, subgroup table, plots, model."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from healthcare_dataops.ml import plots
from healthcare_dataops.ml.dataset import model_matrix
from healthcare_dataops.ml.evaluation import Metrics

if TYPE_CHECKING:
    import xgboost as xgb
    from mlflow.models.model import ModelInfo


def pip_requirements() -> list[str]:
    """Exact versions, so the logged model does not depend on MLflow inferring its environment
    (which imports the model in a subprocess and is slow). The modules' own versions: the
    installed distribution may be named otherwise (``xgboost-cpu``)."""
    import sklearn
    import xgboost as xgb

    return [f"xgboost=={xgb.__version__}", f"scikit-learn=={sklearn.__version__}",
            f"pandas=={pd.__version__}", f"numpy=={np.__version__}"]


def metric_name(*parts: str) -> str:
    """MLflow metric names allow letters, digits and ``_-. /``; age band "90+" does not fit."""
    return "_".join(re.sub(r"[^\w.\- /]", "plus" if part.endswith("+") else "_", part) for part in parts)


def log_metrics(prefix: str, found: Metrics) -> None:
    import mlflow

    mlflow.log_metrics({f"{prefix}_{k}": float(v) for k, v in found.as_dict().items() if v is not None})


def log_subgroups(subgroups: pd.DataFrame) -> None:
    import mlflow

    mlflow.log_table(subgroups, artifact_file="evaluation/subgroup_metrics.json")
    values = {}
    for row in subgroups.itertuples():
        for metric in ("auroc", "brier", "calibration_error"):
            value = getattr(row, metric)
            if value is not None and not pd.isna(value):
                values[metric_name("holdout", metric, row.attribute, str(row.value))] = float(value)
    mlflow.log_metrics(values)


def plot_images(y: np.ndarray, risk: np.ndarray, auroc: float | None, model: xgb.XGBClassifier) -> dict[str, bytes]:
    importance = model.get_booster().get_score(importance_type="total_gain")
    return {
        "roc_curve.png": plots.roc(y, risk, auroc),
        "calibration_curve.png": plots.calibration(y, risk),
        "feature_importance.png": plots.feature_importance(importance),
    }


def log_plots(images: dict[str, bytes]) -> None:
    import mlflow

    with tempfile.TemporaryDirectory() as folder:
        for name, png in images.items():
            (Path(folder) / name).write_bytes(png)
        mlflow.log_artifacts(folder, artifact_path="plots")


def log_model(model: xgb.XGBClassifier, train: pd.DataFrame, registered_model_name: str) -> ModelInfo:
    """Logged with its signature (inputs by name, risk out) and registered as a new version.

    No input example: it would copy admissions into the artifact store.
    """
    import mlflow.xgboost
    from mlflow.models import infer_signature

    sample = model_matrix(train.head(200))
    signature = infer_signature(sample, model.predict_proba(sample)[:, 1])
    return mlflow.xgboost.log_model(
        model,
        name="model",
        signature=signature,
        registered_model_name=registered_model_name,
        pip_requirements=pip_requirements(),
    )

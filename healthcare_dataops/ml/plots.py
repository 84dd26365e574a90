"""The model's plots as PNG bytes: ROC curve, calibration curve, feature importance.

Drawn on ``matplotlib.figure.Figure`` directly, not pyplot, so nothing depends on a display
backend or on global figure state shared between threads.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

import numpy as np

from healthcare_dataops.ml.evaluation import calibration_bins

if TYPE_CHECKING:
    from matplotlib.figure import Figure

DPI = 90
TOP_FEATURES = 15


def _png(figure: Figure) -> bytes:
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue()


def _figure(width: float, height: float) -> Figure:
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height))


def roc(y: np.ndarray, risk: np.ndarray, auroc: float | None) -> bytes:
    from sklearn.metrics import roc_curve

    figure = _figure(4.5, 4.2)
    axes = figure.subplots()
    if auroc is not None:
        fpr, tpr, _ = roc_curve(y, risk)
        axes.plot(fpr, tpr, label=f"model (AUROC {auroc:.3f})")
    axes.plot([0, 1], [0, 1], linestyle="--", color="grey", label="chance")
    axes.set(xlabel="false positive rate", ylabel="true positive rate", title="ROC, newest holdout")
    axes.legend(loc="lower right")
    return _png(figure)


def calibration(y: np.ndarray, risk: np.ndarray) -> bytes:
    """Observed readmission rate against mean predicted risk, in equal-count bins."""
    bins = calibration_bins(y, risk)
    predicted = [mean for _, mean, _ in bins]
    observed = [rate for _, _, rate in bins]
    top = max([*predicted, *observed, 0.05]) * 1.1
    figure = _figure(4.5, 4.2)
    axes = figure.subplots()
    axes.plot([0, top], [0, top], linestyle="--", color="grey", label="perfect calibration")
    axes.plot(predicted, observed, marker="o", label="model")
    axes.set(xlim=(0, top), ylim=(0, top), xlabel="mean predicted risk",
             ylabel="observed 30-day readmission", title="Calibration, newest holdout")
    axes.legend(loc="upper left")
    return _png(figure)


def feature_importance(importance: dict[str, float]) -> bytes:
    """Total gain per feature, the largest first."""
    ranked = sorted(importance.items(), key=lambda item: item[1], reverse=True)[:TOP_FEATURES]
    figure = _figure(5.5, 4.6)
    axes = figure.subplots()
    names = [name for name, _ in reversed(ranked)]
    axes.barh(names, [value for _, value in reversed(ranked)])
    axes.set(xlabel="total gain", title="Feature importance")
    axes.tick_params(axis="y", labelsize=8)
    return _png(figure)

"""How good a risk model is on a set of admissions: discrimination, calibration, subgroups."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

CALIBRATION_BINS = 10
# Subgroups smaller than this get counts but no metrics: an AUROC over a handful of
# admissions is noise, and small cells are what re-identification starts from.
MIN_SUBGROUP_ROWS = 20


@dataclass(frozen=True)
class Metrics:
    rows: int
    prevalence: float
    auroc: float | None
    auprc: float | None
    brier: float
    calibration_error: float

    def as_dict(self) -> dict[str, float | int | None]:
        return {
            "rows": self.rows, "prevalence": self.prevalence, "auroc": self.auroc,
            "auprc": self.auprc, "brier": self.brier, "calibration_error": self.calibration_error,
        }


def auroc(y: np.ndarray, risk: np.ndarray) -> float | None:
    """None where only one class is present: the AUROC is undefined, not 0.5."""
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score(y, risk)) if len(np.unique(y)) == 2 else None


def calibration_bins(
    y: np.ndarray, risk: np.ndarray, bins: int = CALIBRATION_BINS
) -> list[tuple[int, float, float]]:
    """(size, mean predicted risk, observed rate) per equal-count bin of predicted risk.
    Equal-count bins, because readmission risks crowd the low end, where equal-width bins
    would lump most admissions together."""
    order = np.argsort(risk, kind="stable")
    return [
        (len(part), float(risk[part].mean()), float(y[part].mean()))
        for part in np.array_split(order, min(bins, len(order)))
        if len(part)
    ]


def calibration_error(y: np.ndarray, risk: np.ndarray, bins: int = CALIBRATION_BINS) -> float:
    """Expected calibration error: the gap between predicted and observed rates per bin,
    weighted by the bin's size."""
    found = calibration_bins(y, risk, bins)
    return float(sum(size * abs(predicted - observed) for size, predicted, observed in found) / len(risk))


def metrics(y: np.ndarray, risk: np.ndarray) -> Metrics:
    from sklearn.metrics import average_precision_score, brier_score_loss

    y, risk = np.asarray(y, dtype=int), np.asarray(risk, dtype=float)
    both = len(np.unique(y)) == 2
    return Metrics(
        rows=len(y),
        prevalence=float(y.mean()),
        auroc=auroc(y, risk),
        auprc=float(average_precision_score(y, risk)) if both else None,
        brier=float(brier_score_loss(y, risk, labels=[0, 1])),
        calibration_error=calibration_error(y, risk),
    )


def subgroup_metrics(rows: pd.DataFrame, y: np.ndarray, risk: np.ndarray, by: tuple[str, ...]) -> pd.DataFrame:
    """One row per (attribute, value): rows and prevalence always, metrics where big enough."""
    records = []
    for attribute in by:
        values = rows[attribute].astype("string").fillna("unknown").to_numpy()
        for value in sorted(set(values)):
            mask = values == value
            record = {"attribute": attribute, "value": value, "rows": int(mask.sum()),
                      "prevalence": float(y[mask].mean())}
            if mask.sum() >= MIN_SUBGROUP_ROWS:
                found = metrics(y[mask], risk[mask])
                record |= {"auroc": found.auroc, "auprc": found.auprc, "brier": found.brier,
                           "calibration_error": found.calibration_error}
            records.append(record)
    columns = ["attribute", "value", "rows", "prevalence", "auroc", "auprc", "brier", "calibration_error"]
    return pd.DataFrame.from_records(records).reindex(columns=columns)

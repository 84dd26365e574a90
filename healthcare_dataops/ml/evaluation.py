"""How good a risk model is on a set of admissions: discrimination, calibration, subgroups,
each with its bootstrap interval where one means something."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from healthcare_dataops.ml.uncertainty import Interval, auprc, auroc, bootstrap_intervals, calibration_slope

__all__ = ["Metrics", "auroc", "calibration_error", "metrics", "subgroup_metrics"]

CALIBRATION_BINS = 10
# A subgroup gets metrics only with at least this many readmitted and as many not readmitted
# admissions: an AUROC over one positive (or a handful) is noise, and small cells are what
# re-identification starts from. Below it, counts only.
MIN_SUBGROUP_POSITIVES = 10
MIN_SUBGROUP_NEGATIVES = 10


@dataclass(frozen=True)
class Metrics:
    rows: int
    prevalence: float
    auroc: float | None
    auprc: float | None
    brier: float | None  # None on no rows
    calibration_error: float | None
    calibration_slope: float | None = None
    # Bootstrap 95% intervals of auroc, auprc and calibration_slope (empty: not computed).
    intervals: dict[str, Interval] = field(default_factory=dict)

    @property
    def positives(self) -> int:
        return round(self.rows * self.prevalence)

    def as_dict(self) -> dict[str, float | int | None]:
        found = {
            "rows": self.rows, "prevalence": self.prevalence, "auroc": self.auroc,
            "auprc": self.auprc, "brier": self.brier, "calibration_error": self.calibration_error,
            "calibration_slope": self.calibration_slope,
        }
        for name, interval in self.intervals.items():
            found |= {f"{name}_ci_low": interval.low, f"{name}_ci_high": interval.high}
        return found


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


def metrics(y: np.ndarray, risk: np.ndarray, *, with_intervals: bool = False) -> Metrics:
    from sklearn.metrics import brier_score_loss

    y, risk = np.asarray(y, dtype=int), np.asarray(risk, dtype=float)
    if len(y) == 0:  # e.g. no holdout patient is new to the model
        return Metrics(0, 0.0, None, None, None, None, None, bootstrap_intervals(y, risk) if with_intervals else {})
    return Metrics(
        rows=len(y),
        prevalence=float(y.mean()),
        auroc=auroc(y, risk),
        auprc=auprc(y, risk),
        brier=float(brier_score_loss(y, risk, labels=[0, 1])),
        calibration_error=calibration_error(y, risk),
        calibration_slope=calibration_slope(y, risk),
        intervals=bootstrap_intervals(y, risk) if with_intervals else {},
    )


def subgroup_metrics(rows: pd.DataFrame, y: np.ndarray, risk: np.ndarray, by: tuple[str, ...]) -> pd.DataFrame:
    """One row per (attribute, value): rows and prevalence always, metrics where big enough."""
    records = []
    for attribute in by:
        values = rows[attribute].astype("string").fillna("unknown").to_numpy()
        for value in sorted(set(values)):
            mask = values == value
            positives = int(y[mask].sum())
            record = {"attribute": attribute, "value": value, "rows": int(mask.sum()),
                      "prevalence": float(y[mask].mean())}
            if positives >= MIN_SUBGROUP_POSITIVES and mask.sum() - positives >= MIN_SUBGROUP_NEGATIVES:
                found = metrics(y[mask], risk[mask])
                record |= {"auroc": found.auroc, "auprc": found.auprc, "brier": found.brier,
                           "calibration_error": found.calibration_error}
            records.append(record)
    columns = ["attribute", "value", "rows", "prevalence", "auroc", "auprc", "brier", "calibration_error"]
    return pd.DataFrame.from_records(records).reindex(columns=columns)

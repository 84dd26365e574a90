"""How sure a holdout metric is: bootstrap intervals, and paired comparisons of two scores.

A few hundred admissions leave an AUROC's 95% interval about ±0.05 to ±0.1 wide, so a number
alone says little, and two models' numbers differ by that much by chance. Resampling the
holdout's rows (with replacement, seeded, so a rerun gives the same interval) and recomputing
gives the interval; resampling the same rows for two scores gives the interval of their
difference, which is much narrower than either alone because the rows' difficulty cancels.
Resamples with one label value leave AUROC and AUPRC undefined and are skipped.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

DEFAULT_RESAMPLES = 400
DEFAULT_SEED = 20
LEVEL = 0.95


@dataclass(frozen=True)
class Interval:
    low: float | None
    high: float | None

    def describe(self) -> str:
        if self.low is None or self.high is None:
            return "n/a"
        return f"{self.low:.3f}–{self.high:.3f}"


@dataclass(frozen=True)
class PairedDifference:
    """``first`` minus ``second`` on the same rows, with its paired bootstrap interval."""

    difference: float | None
    interval: Interval

    @property
    def significantly_below_zero(self) -> bool:
        return self.interval.high is not None and self.interval.high < 0

    @property
    def significantly_above_zero(self) -> bool:
        return self.interval.low is not None and self.interval.low > 0

    def describe(self) -> str:
        if self.difference is None:
            return "n/a"
        return f"{self.difference:+.3f} (95% paired bootstrap interval {self.interval.describe()})"


def auroc(y: np.ndarray, risk: np.ndarray) -> float | None:
    """None where only one class is present: the AUROC is undefined, not 0.5."""
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score(y, risk)) if len(np.unique(y)) == 2 else None


def auprc(y: np.ndarray, risk: np.ndarray) -> float | None:
    from sklearn.metrics import average_precision_score

    return float(average_precision_score(y, risk)) if len(np.unique(y)) == 2 else None


def calibration_slope(y: np.ndarray, risk: np.ndarray) -> float | None:
    """The slope of a logistic regression of the outcome on the predicted log-odds: 1 is
    calibrated in spread, below 1 predictions too extreme, above 1 too timid."""
    from sklearn.linear_model import LogisticRegression

    if len(np.unique(y)) < 2:
        return None
    log_odds = _log_odds(risk).reshape(-1, 1)
    return float(LogisticRegression(C=np.inf).fit(log_odds, y).coef_[0][0])


def _log_odds(risk: np.ndarray) -> np.ndarray:
    clipped = np.clip(np.asarray(risk, dtype=float), 1e-6, 1 - 1e-6)
    return np.log(clipped / (1 - clipped))


# Each metric over every resample at once: the rows' resampled indices (resamples × n) in,
# one value per resample out (NaN where a resample has one label value). Fitting sklearn's
# estimators resample by resample took seconds per holdout; these take milliseconds, and the
# tests hold them to sklearn's values on the original rows.
def _auroc_resampled(y: np.ndarray, risk: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Mann-Whitney: the positives' rank sum (ties share their mean rank) over all pairs."""
    from scipy.stats import rankdata

    labels, ranks = y[rows], rankdata(risk[rows], axis=1)
    positives = labels.sum(axis=1).astype(float)
    negatives = labels.shape[1] - positives
    u = (ranks * labels).sum(axis=1) - positives * (positives + 1) / 2
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where((positives > 0) & (negatives > 0), u / (positives * negatives), np.nan)


def _auprc_resampled(y: np.ndarray, risk: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Average precision as sklearn computes it: precision at each distinct threshold,
    weighted by the recall it adds."""
    found = np.full(len(rows), np.nan)
    for k, sample in enumerate(rows):
        labels, scores = y[sample], risk[sample]
        if labels.min() == labels.max():
            continue
        order = np.argsort(-scores, kind="mergesort")
        labels, scores = labels[order], scores[order]
        last_of_ties = np.r_[np.flatnonzero(np.diff(scores)), len(scores) - 1]
        true_positives = np.cumsum(labels)[last_of_ties]
        precision = true_positives / (last_of_ties + 1)
        recall = true_positives / true_positives[-1]
        found[k] = float(np.sum(np.diff(np.r_[0.0, recall]) * precision))
    return found


def _slope_resampled(y: np.ndarray, risk: np.ndarray, rows: np.ndarray, iterations: int = 25) -> np.ndarray:
    """Newton-Raphson on (intercept, slope) for every resample together: a resample is the
    original rows weighted by how often it drew each."""
    x, n = _log_odds(risk), len(y)
    weights = np.stack([np.bincount(sample, minlength=n) for sample in rows]).astype(float)
    params = np.zeros((len(rows), 2))
    for _ in range(iterations):
        p = 1 / (1 + np.exp(-(params[:, :1] + params[:, 1:] * x)))
        residual, curvature = weights * (y - p), weights * p * (1 - p)
        gradient = np.stack([residual.sum(axis=1), residual @ x], axis=1)
        h00, h01, h11 = curvature.sum(axis=1), curvature @ x, curvature @ (x * x)
        determinant = h00 * h11 - h01 * h01
        with np.errstate(invalid="ignore", divide="ignore"):
            step = np.stack([h11 * gradient[:, 0] - h01 * gradient[:, 1],
                             h00 * gradient[:, 1] - h01 * gradient[:, 0]], axis=1) / determinant[:, None]
        params = params + np.nan_to_num(step)
    one_class = (weights @ y == 0) | (weights @ (1 - y) == 0)
    return np.where(one_class, np.nan, params[:, 1])


RESAMPLED = {"auroc": _auroc_resampled, "auprc": _auprc_resampled, "calibration_slope": _slope_resampled}
INTERVAL_METRICS = tuple(RESAMPLED)


def _resamples(n: int, resamples: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, n, size=(resamples, n))


def _interval(values: np.ndarray) -> Interval:
    values = values[np.isfinite(values)]
    if len(values) < 20:  # too few usable resamples for a 95% interval
        return Interval(None, None)
    tail = (1 - LEVEL) / 2 * 100
    low, high = np.percentile(values, [tail, 100 - tail])
    return Interval(float(low), float(high))


def bootstrap_intervals(
    y: np.ndarray, risk: np.ndarray, metrics: tuple[str, ...] = INTERVAL_METRICS,
    resamples: int = DEFAULT_RESAMPLES, seed: int = DEFAULT_SEED,
) -> dict[str, Interval]:
    """The 95% percentile interval of each metric over ``resamples`` resamples of the rows."""
    y, risk = np.asarray(y, dtype=int), np.asarray(risk, dtype=float)
    if len(y) == 0:
        return {name: Interval(None, None) for name in metrics}
    rows = _resamples(len(y), resamples, seed)
    return {name: _interval(RESAMPLED[name](y, risk, rows)) for name in metrics}


def paired_auroc_difference(
    y: np.ndarray, first: np.ndarray, second: np.ndarray,
    resamples: int = DEFAULT_RESAMPLES, seed: int = DEFAULT_SEED,
) -> PairedDifference:
    """AUROC of ``first`` minus that of ``second`` on the same rows, resampled together."""
    y, first, second = np.asarray(y, dtype=int), np.asarray(first, dtype=float), np.asarray(second, dtype=float)
    a, b = auroc(y, first), auroc(y, second)
    if a is None or b is None:
        return PairedDifference(None, Interval(None, None))
    rows = _resamples(len(y), resamples, seed)
    return PairedDifference(a - b, _interval(_auroc_resampled(y, first, rows) - _auroc_resampled(y, second, rows)))

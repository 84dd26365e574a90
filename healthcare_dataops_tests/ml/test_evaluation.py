"""Holdout metrics on hand-made predictions whose values are known."""

import numpy as np
import pandas as pd
import pytest

from healthcare_dataops.ml.evaluation import (
    MIN_SUBGROUP_NEGATIVES,
    MIN_SUBGROUP_POSITIVES,
    calibration_error,
    metrics,
    subgroup_metrics,
)


def test_perfect_ranking_and_calibration_from_known_predictions():
    y = np.array([0, 0, 0, 1, 1])
    found = metrics(y, np.array([0.1, 0.2, 0.3, 0.8, 0.9]))
    assert (found.auroc, found.auprc) == (1.0, 1.0)
    assert found.brier == pytest.approx((0.01 + 0.04 + 0.09 + 0.04 + 0.01) / 5)
    assert found.prevalence == pytest.approx(0.4) and found.positives == 2
    assert found.intervals == {}  # only on request


def test_calibration_error_is_the_size_weighted_gap_per_bin():
    # Two bins of two: predicted 0.1 vs observed 0.5, predicted 0.9 vs observed 0.5.
    y, risk = np.array([0, 1, 0, 1]), np.array([0.1, 0.1, 0.9, 0.9])
    assert calibration_error(y, risk, bins=2) == pytest.approx(0.4)
    assert calibration_error(np.array([0, 1] * 50), np.full(100, 0.5)) == pytest.approx(0.0)


def test_the_calibration_slope_is_one_for_true_probabilities_and_below_for_overconfident_ones():
    rng = np.random.default_rng(4)
    p = rng.uniform(0.02, 0.6, 20_000)
    y = (rng.random(p.size) < p).astype(int)
    assert metrics(y, p).calibration_slope == pytest.approx(1.0, abs=0.06)
    logit = np.log(p / (1 - p))
    overconfident = 1 / (1 + np.exp(-2 * logit))  # twice the log-odds: too extreme
    assert metrics(y, overconfident).calibration_slope == pytest.approx(0.5, abs=0.05)


def test_intervals_cover_the_metric_and_narrow_with_more_rows():
    rng = np.random.default_rng(5)

    def holdout(n):
        p = rng.uniform(0.02, 0.6, n)
        return (rng.random(n) < p).astype(int), p

    small, large = metrics(*holdout(150), with_intervals=True), metrics(*holdout(1500), with_intervals=True)
    for found in (small, large):
        for name in ("auroc", "auprc", "calibration_slope"):
            interval = found.intervals[name]
            assert interval.low < getattr(found, name) < interval.high, name
    width = lambda found: found.intervals["auroc"].high - found.intervals["auroc"].low  # noqa: E731
    assert width(large) < width(small) / 2
    assert {"auroc_ci_low", "auroc_ci_high", "calibration_slope_ci_high"} <= set(large.as_dict())


def test_one_class_leaves_ranking_metrics_undefined_not_wrong():
    found = metrics(np.zeros(10, dtype=int), np.linspace(0, 1, 10), with_intervals=True)
    assert found.auroc is None and found.auprc is None and found.calibration_slope is None and found.brier > 0
    assert found.intervals["auroc"].low is None


def test_subgroups_need_enough_readmitted_and_not_readmitted_for_metrics():
    n = 200
    rows = pd.DataFrame({"sex": ["F"] * n + ["M"] * 30, "age_band": ["65-74"] * (n + 30)})
    # Women: 40 readmitted; men: 30 admissions, one readmitted (the review's subgroup).
    y = np.array([1] * 40 + [0] * (n - 40) + [1] + [0] * 29)
    table = subgroup_metrics(rows, y, np.linspace(0, 1, n + 30), ("sex", "age_band")).set_index(["attribute", "value"])
    assert table.loc[("sex", "M"), "rows"] == 30 and pd.isna(table.loc[("sex", "M"), "auroc"])
    assert MIN_SUBGROUP_POSITIVES > 1 and MIN_SUBGROUP_NEGATIVES > 1
    assert not pd.isna(table.loc[("sex", "F"), "auroc"]) and table.loc[("age_band", "65-74"), "rows"] == n + 30

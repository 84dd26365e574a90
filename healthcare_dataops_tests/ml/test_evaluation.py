"""Holdout metrics on hand-made predictions whose values are known."""

import numpy as np
import pandas as pd
import pytest

from healthcare_dataops.ml.evaluation import (
    MIN_SUBGROUP_ROWS,
    calibration_error,
    metrics,
    subgroup_metrics,
)


def test_perfect_ranking_and_calibration_from_known_predictions():
    y = np.array([0, 0, 0, 1, 1])
    found = metrics(y, np.array([0.1, 0.2, 0.3, 0.8, 0.9]))
    assert (found.auroc, found.auprc) == (1.0, 1.0)
    assert found.brier == pytest.approx((0.01 + 0.04 + 0.09 + 0.04 + 0.01) / 5)
    assert found.prevalence == pytest.approx(0.4)


def test_calibration_error_is_the_size_weighted_gap_per_bin():
    # Two bins of two: predicted 0.1 vs observed 0.5, predicted 0.9 vs observed 0.5.
    y, risk = np.array([0, 1, 0, 1]), np.array([0.1, 0.1, 0.9, 0.9])
    assert calibration_error(y, risk, bins=2) == pytest.approx(0.4)
    assert calibration_error(np.array([0, 1] * 50), np.full(100, 0.5)) == pytest.approx(0.0)


def test_one_class_leaves_ranking_metrics_undefined_not_wrong():
    found = metrics(np.zeros(10, dtype=int), np.linspace(0, 1, 10))
    assert found.auroc is None and found.auprc is None and found.brier > 0


def test_small_subgroups_get_counts_but_no_metrics():
    n = MIN_SUBGROUP_ROWS
    rows = pd.DataFrame({"sex": ["F"] * n + ["M"] * 3, "age_band": ["65-74"] * (n + 3)})
    y = np.array([0, 1] * (n // 2) + [1, 0, 1])
    table = subgroup_metrics(rows, y, np.linspace(0, 1, n + 3), ("sex", "age_band")).set_index(["attribute", "value"])
    assert table.loc[("sex", "M"), "rows"] == 3 and pd.isna(table.loc[("sex", "M"), "auroc"])
    assert table.loc[("sex", "F"), "auroc"] is not None and table.loc[("age_band", "65-74"), "rows"] == n + 3

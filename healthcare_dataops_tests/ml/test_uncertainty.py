"""Paired comparisons on the same holdout: chance differences are not significant, real ones are."""

import numpy as np

from healthcare_dataops.ml.uncertainty import paired_auroc_difference


def _holdout(n: int, seed: int):
    rng = np.random.default_rng(seed)
    signal = rng.normal(size=n)
    y = (rng.random(n) < 1 / (1 + np.exp(-(signal - 1.5)))).astype(int)
    return y, signal, rng


def test_two_scores_that_differ_by_noise_are_not_significantly_different():
    y, signal, rng = _holdout(400, 1)
    first, second = signal + rng.normal(0, 0.3, 400), signal + rng.normal(0, 0.3, 400)
    found = paired_auroc_difference(y, first, second)
    assert not found.significantly_below_zero and not found.significantly_above_zero
    assert found.interval.low < found.difference < found.interval.high


def test_a_much_weaker_score_is_significantly_worse_and_the_pairing_narrows_the_interval():
    y, signal, rng = _holdout(400, 2)
    good, weak = signal + rng.normal(0, 0.3, 400), signal + rng.normal(0, 2.0, 400)
    found = paired_auroc_difference(y, weak, good)
    assert found.difference < -0.05 and found.significantly_below_zero
    assert paired_auroc_difference(y, good, weak).significantly_above_zero
    # Seeded: the same rows give the same interval.
    assert paired_auroc_difference(y, weak, good) == found


def test_one_label_value_leaves_the_difference_undefined():
    found = paired_auroc_difference(np.zeros(50, dtype=int), np.linspace(0, 1, 50), np.linspace(1, 0, 50))
    assert found.difference is None and found.describe() == "n/a"


def test_the_resampled_metrics_equal_sklearns_on_the_rows_themselves():
    from healthcare_dataops.ml import uncertainty

    y, signal, _ = _holdout(300, 3)
    risk = np.round(1 / (1 + np.exp(-(signal - 1.5))), 2)  # rounded: tied scores, as clinical points are
    identity = np.arange(len(y))[None, :]
    assert abs(uncertainty._auroc_resampled(y, risk, identity)[0] - uncertainty.auroc(y, risk)) < 1e-12
    assert abs(uncertainty._auprc_resampled(y, risk, identity)[0] - uncertainty.auprc(y, risk)) < 1e-12
    assert abs(uncertainty._slope_resampled(y, risk, identity)[0] - uncertainty.calibration_slope(y, risk)) < 1e-3

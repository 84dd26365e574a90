"""The scored open stays against the window before, their skew from the champion's population,
and the drift decision that puts every verdict in words."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from healthcare_dataops.model_health import decision, scored_stays
from healthcare_dataops.model_health.drift import DriftResult, FeatureDrift
from healthcare_dataops.model_health.performance import PerformanceVerdict
from healthcare_dataops.transforms.features import FEATURES
from healthcare_dataops_tests.ml import synthetic_features

LEANS_ON_CREATININE = {name: (0.4 if name == "creatinine_last" else 0.6 / (len(FEATURES) - 1)) for name in FEATURES}


def _scores(frame: pd.DataFrame, first_day: dt.date, days: int, risk: np.ndarray) -> pd.DataFrame:
    """Each admission of ``frame`` scored once, on one of ``days`` delivery days."""
    rows = frame.assign(risk=risk, model_version="3", as_of=frame["discharged_at"],
                        delivery_date=[first_day + dt.timedelta(days=k % days) for k in range(len(frame))])
    return rows[list(scored_stays.SCORE_READ_COLUMNS)]


def _windows(shift_creatinine: float = 1.0, shift_risk: float = 0.0):
    frame = synthetic_features.build(1200, seed=4)[0]
    # Open stays: scored part way through, so shorter than the discharged stays they are held against.
    open_stays = frame.assign(length_of_stay_days=frame["length_of_stay_days"] * 0.4)
    rng = np.random.default_rng(1)
    risk = rng.beta(2, 8, len(frame))
    before = _scores(open_stays.iloc[:400], dt.date(2026, 3, 1), 30, risk[:400])
    now = _scores(open_stays.iloc[400:800], dt.date(2026, 3, 31), 30, risk[400:800] + shift_risk)
    now["creatinine_last"] *= shift_creatinine
    return pd.concat([before, now], ignore_index=True), frame.iloc[800:]


def test_steady_scored_stays_against_the_window_before():
    scores, population = _windows()
    found = scored_stays.monitor(scores, population, LEANS_ON_CREATININE, 0.15, 30)
    assert (found.current_stays, found.previous_stays) == (400, 400)
    assert not found.drifted and found.score_shift < found.score_threshold
    # The skew by design: open stays are shorter than the discharged stays of the population.
    assert found.skew[0][0] == "length_of_stay_days" and found.below_shortest_stay > 0


def test_a_shift_in_an_important_input_or_in_the_scores_is_seen():
    scores, population = _windows(shift_creatinine=1.6)
    found = scored_stays.monitor(scores, population, LEANS_ON_CREATININE, 0.15, 30)
    assert found.drift.dataset_drift and "creatinine_last" in found.drift.drifted_columns and found.drifted
    scores, population = _windows(shift_risk=0.2)
    assert scored_stays.monitor(scores, population, LEANS_ON_CREATININE, 0.15, 30).scores_drifted


def test_windows_with_too_few_stays_or_no_scores_are_not_compared():
    scores, population = _windows()
    few = scored_stays.monitor(scores.tail(30), population, LEANS_ON_CREATININE, 0.15, 30)
    assert few.drift is None and not few.drifted and few.current_stays == 30
    assert scored_stays.monitor(None, population, LEANS_ON_CREATININE, 0.15, 30).current_stays == 0


def _result(drifted: bool) -> DriftResult:
    return DriftResult((FeatureDrift("creatinine_last", "m", 0.6 if drifted else 0.1, 0.3, 0.3, drifted),), (), 0.15)


def test_the_decision_retrains_on_feature_or_performance_drift_and_gives_every_reason():
    steady = scored_stays.ScoredStays(0, 0, None, None, None, None, None, (), None)
    quiet = PerformanceVerdict(False, "live AUROC 0.80 consistent")
    assert not decision.decide(_result(False), quiet, steady, "3").retrain
    features = decision.decide(_result(True), quiet, steady, "3")
    assert features.retrain and features.text().startswith("Retrain: Feature drift")
    assert "drift score 0.600 >= 0.15" in features.text()
    assert "creatinine_last (effect 0.60 against 0.30 by chance, importance 0.30)" in features.text()
    performance = decision.decide(_result(False), PerformanceVerdict(True, "live AUROC 0.55 below"), steady, "3")
    assert performance.retrain and "Performance drift: live AUROC 0.55 below" in performance.text()
    card = performance.markdown("2026-04-01", "3")
    assert card.startswith("**Retrain.** Feature drift report for delivery day 2026-04-01, champion v3:")
    assert card.count("\n- ") == 3

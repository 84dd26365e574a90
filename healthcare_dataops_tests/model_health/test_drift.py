"""Feature drift by effect size against calibrated thresholds, weighted by importance: a
steady population stays quiet, a strong shift in what the model relies on fires alone, many
shifts in what it ignores do not, and tiny differences in big windows do not count."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from healthcare_dataops.model_health import distances, drift
from healthcare_dataops.transforms.features import FEATURES
from healthcare_dataops_tests.ml import synthetic_features
from healthcare_dataops_tests.model_health.drifted_features import LAB_COLUMNS, drift_newest, recalibrate

UNIFORM = {name: 1 / len(FEATURES) for name in FEATURES}
THRESHOLD = 0.2


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    return synthetic_features.build(2400)[0]


def _windows(frame: pd.DataFrame, days: int = 90) -> tuple[pd.DataFrame, pd.DataFrame]:
    current = drift.current_window(frame, days)
    return frame.drop(current.index), current


def _leaning_on(column: str, share: float) -> dict[str, float]:
    rest = (1 - share) / (len(FEATURES) - 1)
    return {name: share if name == column else rest for name in FEATURES}


def test_the_same_population_does_not_drift(frame):
    reference, current = _windows(frame)
    result = drift.compare(reference, current, UNIFORM, THRESHOLD)
    assert {c.column for c in result.columns} == set(FEATURES) and not result.skipped_columns
    # Each threshold is what a control window reaches in 99 of 100 draws: one or two of 35
    # features may cross it by chance, far from the importance it takes to drift.
    assert len(result.drifted_columns) <= 2 and not result.dataset_drift


def test_a_strong_shift_in_the_feature_the_model_leans_on_drifts_alone(frame):
    reference, current = _windows(recalibrate(frame, "creatinine_last", 1.5, days=90))
    result = drift.compare(reference, current, _leaning_on("creatinine_last", 0.3), THRESHOLD)
    assert "creatinine_last" in result.drifted_columns and result.dataset_drift
    shifted = next(c for c in result.columns if c.column == "creatinine_last")
    assert shifted.ratio > 2 and result.score >= 0.3 * 2


def test_many_shifts_in_what_the_model_ignores_do_not_drift(frame):
    reference, current = _windows(drift_newest(frame, 90))
    ignored = {name: (0.001 if name in (*LAB_COLUMNS, "age_at_discharge", "age_band") else 0.0) for name in FEATURES}
    ignored["admissions_12m"] = 1 - sum(ignored.values())
    result = drift.compare(reference, current, ignored, THRESHOLD)
    assert set(LAB_COLUMNS) <= set(result.drifted_columns)  # 16 features moved, and show it
    assert result.score < 0.02 * drift.MAX_RATIO and not result.dataset_drift
    # The same change, with the importance spread evenly, is drift.
    assert drift.compare(reference, current, UNIFORM, THRESHOLD).dataset_drift


def test_thresholds_follow_the_window_size_and_never_fall_below_the_floor():
    rng = np.random.default_rng(8)
    reference = pd.DataFrame({"x": rng.normal(size=6000), "sex": rng.choice(["F", "M"], 6000)})
    small = distances.calibrated_thresholds(reference, 60, ["x", "sex"], {"sex"})
    large = distances.calibrated_thresholds(reference, 3000, ["x", "sex"], {"sex"})
    assert small["x"] > large["x"] and large["x"] == distances.MIN_EFFECT == large["sex"]
    # Thousands of rows make a twentieth of a standard deviation "significant"; not drift here.
    current = pd.DataFrame({"x": rng.normal(0.05, 1, 3000)})
    assert distances.normed_wasserstein(reference["x"], current["x"]) < large["x"]


def test_the_html_report_shows_the_same_effect_sizes(frame, tmp_path):
    from healthcare_dataops.model_health.evidently_report import save_html

    reference, current = _windows(recalibrate(frame, "creatinine_last", 1.5, days=90))
    result = drift.compare(reference, current, UNIFORM, THRESHOLD)
    shown = save_html(drift.typed(reference), drift.typed(current), {c.column: c.threshold for c in result.columns},
                      tmp_path / "report.html")
    assert shown == pytest.approx({c.column: c.distance for c in result.columns})
    assert "<html" in (tmp_path / "report.html").read_text()[:2000].lower()


def test_features_with_too_few_values_are_left_out_and_nullable_integers_are_compared(frame):
    reference, current = _windows(frame)
    current = current.assign(spo2_min_7d=np.nan, steps_per_day_7d=None)
    reference = reference.assign(admissions_6m=pd.array(reference["admissions_6m"], dtype="Int32"))
    reference.loc[reference.index[:5], "admissions_6m"] = pd.NA
    result = drift.compare(reference, current, UNIFORM, THRESHOLD)
    assert result.skipped_columns == ("steps_per_day_7d", "spo2_min_7d")
    assert len(result.columns) == len(FEATURES) - 2 and "admissions_6m" in {c.column for c in result.columns}
    table = drift.markdown_table(result)
    assert "spo2_min_7d | | | not compared" in table
    assert not any(encounter in table for encounter in frame["encounter_id"])


def test_importance_comes_from_the_models_total_gain(frame):
    from healthcare_dataops.ml import training
    from healthcare_dataops.ml.dataset import temporal_split

    model = training.fit(temporal_split(frame, 0.25, 50).train, training.Hyperparameters(n_estimators=40))
    importance = drift.feature_importance(model)
    assert set(importance) == set(FEATURES) and sum(importance.values()) == pytest.approx(1.0)
    assert importance["age_band"] == 0.0  # not a model input
    # The synthetic risk leans on heart failure, creatinine and prior admissions.
    assert max(importance, key=importance.get) in {"chf", "creatinine_last", "admissions_12m"}


def test_the_current_window_counts_back_from_the_newest_discharge_in_real_time(frame):
    window = drift.current_window(frame, 30)
    assert window["feed_day"].min() >= frame["feed_day"].max() - 30
    assert len(window) == (frame["feed_day"] >= frame["feed_day"].max() - 30).sum() > 0
    older = drift.current_window(frame.drop(columns=["feed_day"]), 30)
    assert older["discharged_at"].min() >= frame["discharged_at"].max() - pd.Timedelta(days=30)


def test_samples_are_capped_and_seeded(frame):
    first, again = drift.sample(frame, 500, seed=7), drift.sample(frame, 500, seed=7)
    assert len(first) == 500 and list(first.index) == list(again.index)
    assert drift.sample(frame, 5000, seed=7) is frame


def test_the_score_weighs_each_moved_feature_by_importance_and_how_far_it_moved():
    moved = lambda name, distance, importance: drift.FeatureDrift(name, "m", distance, 0.2, importance,  # noqa: E731
                                                                  distance >= 0.2)
    # Twice as far as chance in a feature of importance 0.1; a chance crossing of the top
    # feature; a broken feature the model ignores, capped at three times; one that did not move.
    columns = (moved("a", 0.4, 0.1), moved("b", 0.21, 0.15), moved("c", 5.0, 0.01), moved("d", 0.19, 0.5))
    assert [round(c.contribution, 4) for c in columns] == [0.2, 0.1575, 0.03, 0.0]
    result = drift.DriftResult(columns, (), 0.38)
    assert result.score == pytest.approx(0.3875) and result.dataset_drift
    assert drift.DriftResult(columns, (), result.score).dataset_drift  # inclusive
    assert not drift.DriftResult(columns, (), 0.39).dataset_drift
    assert not drift.DriftResult(columns[1:2], (), 0.2).dataset_drift  # the chance crossing alone
    assert not drift.DriftResult((), ("sex",), 0.3).dataset_drift

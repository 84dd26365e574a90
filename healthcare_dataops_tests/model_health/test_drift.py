"""Evidently's per-column drift, turned into the share and the boolean the sensor acts on."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from healthcare_dataops.model_health import drift
from healthcare_dataops.transforms.features import FEATURES
from healthcare_dataops_tests.ml import synthetic_features
from healthcare_dataops_tests.model_health.drifted_features import DRIFTED, drift_newest


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    return synthetic_features.build(2400)[0]


def _windows(frame: pd.DataFrame, days: int = 90) -> tuple[pd.DataFrame, pd.DataFrame]:
    current = drift.current_window(frame, days)
    return frame.drop(current.index), current


def test_the_same_population_does_not_drift(frame, tmp_path):
    reference, current = _windows(frame)
    result = drift.compare(reference, current, 0.3, tmp_path / "report.html")
    assert {c.column for c in result.columns} == set(FEATURES) and not result.skipped_columns
    assert not result.dataset_drift and result.drift_share < 0.15
    assert "<html" in (tmp_path / "report.html").read_text()[:2000].lower()


def test_a_small_window_is_judged_by_p_values_and_large_ones_by_distances(tmp_path):
    # Distances with their fixed threshold would call a steady 60-row window drifted.
    frame = synthetic_features.build(6000, seed=3)[0]
    small = drift.compare(frame.iloc[:3000], frame.iloc[-60:], 0.3, tmp_path / "small.html")
    large = drift.compare(frame.iloc[:3000], frame.iloc[-1500:], 0.3, tmp_path / "large.html")
    assert {c.test for c in small.columns} == {"ks", "chisquare"} and small.drift_share < 0.15
    assert {"Wasserstein distance (normed)", "Jensen-Shannon distance"} <= {c.test for c in large.columns}
    assert not large.drifted_columns


def test_a_changed_lab_feed_and_an_older_population_drift(frame, tmp_path):
    reference, current = _windows(drift_newest(frame, 90))
    result = drift.compare(reference, current, 0.3, tmp_path / "report.html")
    assert set(DRIFTED) <= set(result.drifted_columns)
    assert result.dataset_drift and result.drift_share == len(result.drifted_columns) / len(FEATURES)
    assert all(c.test and c.threshold > 0 for c in result.columns)
    table = drift.markdown_table(result)
    assert table.splitlines()[2].endswith("| yes |") and "creatinine_last" in table
    assert not any(encounter in table for encounter in frame["encounter_id"])


def test_entirely_null_columns_are_left_out_and_nullable_integers_are_compared(frame, tmp_path):
    reference, current = _windows(frame)
    current = current.assign(spo2_min_7d=np.nan, steps_per_day_7d=None)
    reference = reference.assign(admissions_6m=pd.array(reference["admissions_6m"], dtype="Int32"))
    reference.loc[reference.index[:5], "admissions_6m"] = pd.NA
    result = drift.compare(reference, current, 0.3, tmp_path / "report.html")
    assert result.skipped_columns == ("steps_per_day_7d", "spo2_min_7d")
    assert len(result.columns) == len(FEATURES) - 2 and "admissions_6m" in {c.column for c in result.columns}
    assert "spo2_min_7d | not compared" in drift.markdown_table(result)


def test_the_current_window_counts_back_from_the_newest_discharge(frame):
    window = drift.current_window(frame, 30)
    newest = frame["discharged_at"].max()
    assert window["discharged_at"].min() >= newest - pd.Timedelta(days=30)
    assert len(window) == (frame["discharged_at"] >= newest - pd.Timedelta(days=30)).sum() > 0


def test_samples_are_capped_and_seeded(frame):
    first, again = drift.sample(frame, 500, seed=7), drift.sample(frame, 500, seed=7)
    assert len(first) == 500 and list(first.index) == list(again.index)
    assert drift.sample(frame, 5000, seed=7) is frame


def test_the_share_threshold_is_inclusive():
    columns = tuple(drift.ColumnDrift(str(i), "K-S p_value", 0.5, 0.05, i < 3) for i in range(10))
    assert drift.DriftResult(columns, (), 0.3).dataset_drift
    assert not drift.DriftResult(columns, (), 0.31).dataset_drift
    assert not drift.DriftResult((), ("sex",), 0.3).dataset_drift

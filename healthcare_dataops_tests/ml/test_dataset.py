"""The split that holds in real time, and the model matrix, on a synthetic gold table."""

import numpy as np
import pytest

from healthcare_dataops.ml.dataset import (
    LAST_LAB_VALUES,
    MODEL_INPUTS,
    NotEnoughData,
    model_matrix,
    temporal_split,
)
from healthcare_dataops_tests.ml import synthetic_features


@pytest.fixture(scope="module")
def features():
    return synthetic_features.build(400)[0]


def test_the_newest_labelled_admissions_are_held_out_after_an_embargo(features):
    features = features.copy()
    features.loc[features.index[-10:], "label_complete"] = False  # the window not yet seen
    split = temporal_split(features, 0.25, 50)
    assert len(split.holdout) == round(390 * 0.25) and split.holdout["label_complete"].all()
    # No training label was observed after the holdout began: 30 days of real time between.
    assert split.train["feed_day"].max() <= split.holdout["feed_day"].min() - 30
    embargoed = (features["feed_day"] > split.holdout["feed_day"].min() - 30) & (
        features["feed_day"] < split.holdout["feed_day"].min())
    assert split.embargoed == embargoed.sum() > 0 and len(split.train) + split.embargoed + len(split.holdout) == 390
    assert len(temporal_split(features, 0.25, 50, embargo_days=0).train) == 390 - len(split.holdout)


def test_real_time_orders_the_split_not_the_shifted_discharge(features):
    # Patients' dates are shifted back by up to a month: the real-time order decides.
    shuffled = features.assign(discharged_at=features["discharged_at"].sample(frac=1, random_state=3).to_numpy())
    split = temporal_split(shuffled, 0.25, 50)
    assert split.holdout["feed_day"].min() >= shuffled["feed_day"].quantile(0.74)


def test_rows_outside_the_cohort_or_before_the_feeds_never_train(features):
    features = features.copy()
    features.loc[features.index[:20], "cohort_exclusion"] = "died in hospital"
    features.loc[features.index[20:40], ["label_complete", "before_feeds"]] = [False, True]
    split = temporal_split(features, 0.25, 50, embargo_days=0)
    assert len(split.train) + len(split.holdout) == 360
    assert not set(split.train["encounter_id"]) & set(features["encounter_id"].iloc[:40])


def test_holdout_patients_never_seen_in_training_are_marked(features):
    features = features.copy()
    newest = features["feed_day"].rank(ascending=False) <= 10
    features.loc[newest, "patient_id"] = [f"new-{k}" for k in range(10)]  # first admitted in the holdout
    split = temporal_split(features, 0.25, 50)
    unseen = split.unseen_patients()
    assert set(split.holdout.loc[unseen, "patient_id"]) >= {f"new-{k}" for k in range(10)} and not unseen.all()
    assert not set(split.holdout.loc[unseen, "patient_id"]) & set(split.train["patient_id"])


def test_admissions_without_lab_results_do_not_train(features):
    features = features.copy()
    features.loc[features.index[:100], list(LAST_LAB_VALUES)] = np.nan
    split = temporal_split(features, 0.25, 50, embargo_days=0)
    assert len(split.train) + len(split.holdout) == 300
    assert len(temporal_split(features, 0.25, 50, require_lab_results=False, embargo_days=0).train) == 300


def test_too_few_rows_or_one_label_value_say_what_is_missing(features):
    with pytest.raises(NotEnoughData, match=r"has 400 admissions .* needs at least 1000"):
        temporal_split(features, 0.25, 1000)
    no_readmissions = features.assign(readmitted_30d=0)
    with pytest.raises(NotEnoughData, match=r"training set .* has only one label value"):
        temporal_split(no_readmissions, 0.25, 50)
    # An embargo longer than the history leaves nothing to train on, and says so.
    with pytest.raises(NotEnoughData, match=r"has no rows"):
        temporal_split(features, 0.25, 50, embargo_days=10_000)
    # A holdout without readmissions still splits: its AUROC is undefined and the gate says so.
    quiet_end = features.assign(readmitted_30d=np.where(np.arange(400) >= 300, 0, features["readmitted_30d"]))
    assert temporal_split(quiet_end, 0.25, 50).holdout["readmitted_30d"].sum() == 0


def test_a_table_without_real_time_splits_on_the_discharge_as_before(features):
    older = features.drop(columns=["feed_day"])
    split = temporal_split(older, 0.25, 50, embargo_days=0)
    assert split.train["discharged_at"].max() <= split.holdout["discharged_at"].min()


def test_the_model_matrix_is_numeric_in_a_fixed_order(features):
    matrix = model_matrix(features.assign(sex=["F", "M", None, "f"] * 100))
    assert tuple(matrix.columns) == MODEL_INPUTS
    assert (matrix.dtypes == "float64").all()
    assert matrix["sex_female"].iloc[:4].tolist()[:2] == [1.0, 0.0] and np.isnan(matrix["sex_female"].iloc[2])
    assert matrix["sex_female"].iloc[3] == 1.0

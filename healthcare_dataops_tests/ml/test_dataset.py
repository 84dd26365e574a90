"""The temporal split and the model matrix on a synthetic gold table."""

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


def test_the_newest_labelled_admissions_are_held_out(features):
    features = features.copy()
    features.loc[features.index[-10:], "label_complete"] = False  # the window not yet seen
    split = temporal_split(features, 0.25, 50)
    assert len(split.holdout) == round(390 * 0.25) and len(split.train) == 390 - len(split.holdout)
    assert split.train["discharged_at"].max() <= split.holdout["discharged_at"].min()
    assert split.holdout["label_complete"].all()


def test_admissions_without_lab_results_do_not_train(features):
    features = features.copy()
    features.loc[features.index[:100], list(LAST_LAB_VALUES)] = np.nan
    split = temporal_split(features, 0.25, 50)
    assert len(split.train) + len(split.holdout) == 300
    assert len(temporal_split(features, 0.25, 50, require_lab_results=False).train) == 300


def test_too_few_rows_or_one_label_value_say_what_is_missing(features):
    with pytest.raises(NotEnoughData, match=r"has 400 admissions .* needs at least 1000"):
        temporal_split(features, 0.25, 1000)
    no_readmissions = features.assign(readmitted_30d=0)
    with pytest.raises(NotEnoughData, match=r"training set .* has only one label value"):
        temporal_split(no_readmissions, 0.25, 50)
    # A holdout without readmissions still splits: its AUROC is undefined and the gate says so.
    quiet_end = features.assign(readmitted_30d=np.where(np.arange(400) >= 300, 0, features["readmitted_30d"]))
    assert temporal_split(quiet_end, 0.25, 50).holdout["readmitted_30d"].sum() == 0


def test_the_model_matrix_is_numeric_in_a_fixed_order(features):
    matrix = model_matrix(features.assign(sex=["F", "M", None, "f"] * 100))
    assert tuple(matrix.columns) == MODEL_INPUTS
    assert (matrix.dtypes == "float64").all()
    assert matrix["sex_female"].iloc[:4].tolist()[:2] == [1.0, 0.0] and np.isnan(matrix["sex_female"].iloc[2])
    assert matrix["sex_female"].iloc[3] == 1.0

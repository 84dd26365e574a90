"""Explanations of a trained model's scores: XGBoost's contributions add up to the margin, the
strongest pushes come first, and each is said in clinical words from the stay's own values."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from healthcare_dataops.ml import clinical_words, explanations, scoring
from healthcare_dataops.ml.dataset import MODEL_INPUTS
from healthcare_dataops.ml.registry import LoadedModel
from healthcare_dataops.ml.training import Hyperparameters, fit, predict_risk
from healthcare_dataops_tests.ml import synthetic_features


@pytest.fixture(scope="module")
def trained():
    frame, _ = synthetic_features.build(600)
    model = fit(frame.iloc[:500].reset_index(drop=True), Hyperparameters(n_estimators=40, early_stopping_rounds=5))
    stays = frame.iloc[500:].reset_index(drop=True).rename(columns={"discharged_at": "as_of"})
    return model, stays


def test_contributions_add_up_to_each_stays_log_odds(trained):
    model, stays = trained
    pushes = explanations.contributions(model, stays)
    assert list(pushes.columns) == [*MODEL_INPUTS, "bias"]
    risk = predict_risk(model, stays).to_numpy()
    assert np.allclose(pushes.sum(axis=1).to_numpy(), np.log(risk / (1 - risk)), atol=1e-4)


def test_each_stay_gets_its_strongest_pushes_up_then_down_in_words(trained):
    model, stays = trained
    stays = stays.head(40)
    reasons = explanations.explain(model, stays)
    pushes = explanations.contributions(model, stays).drop(columns="bias")
    assert len(reasons) == len(stays)
    for row, found in zip(pushes.itertuples(index=False), reasons, strict=True):
        values = pd.Series(row._asdict())
        up = [r for r in found if r["contribution"] > 0]
        down = [r for r in found if r["contribution"] < 0]
        assert found == up + down and len(up) <= 3 and len(down) <= 3
        assert [r["feature"] for r in up] == list(values[values > 0].sort_values(ascending=False).index[:3])
        assert [r["feature"] for r in down] == list(values[values < 0].sort_values().index[:3])
        assert all(r["text"] and "_" not in r["text"] for r in found)


def test_clinical_words_read_the_stays_own_values():
    as_of = pd.Timestamp("2026-01-05 05:00", tz="UTC")
    stay = pd.Series({
        "as_of": as_of, "hba1c_last": 9.1, "hba1c_last_at": as_of - pd.Timedelta(days=2, hours=3),
        "hba1c_trend": 1.25, "glucose_last": None, "wbc_last": 12.4, "wbc_last_at": as_of - pd.Timedelta(hours=5),
        "admissions_6m": 3, "ed_visits_12m": 1, "chf": 1, "copd": 0, "sex": "F", "age_at_discharge": 90,
        "length_of_stay_days": 4.24, "resting_hr_delta": -6.2, "sleep_minutes_per_day_7d": 330.0,
        "steps_per_day_7d": None,
    })
    words = {feature: clinical_words.describe(feature, stay) for feature in stay.index if feature in MODEL_INPUTS}
    words["sex_female"] = clinical_words.describe("sex_female", stay)
    assert words == {
        "hba1c_last": "HbA1c 9.1 %, last measured 2 days ago",
        "hba1c_trend": "HbA1c up 1.25 % since the result before",
        "glucose_last": "No Glucose result on record",
        "wbc_last": "White cell count 12.4 ×10³/µL, last measured 5 hours ago",
        "admissions_6m": "3 admissions in the 6 months before this one",
        "ed_visits_12m": "1 emergency visit in the 12 months before this one",
        "chf": "Known heart failure",
        "copd": "No COPD on record",
        "sex_female": "Female",
        "age_at_discharge": "Age 90 or over",
        "length_of_stay_days": "4.2 days in hospital so far",
        "resting_hr_delta": "Resting heart rate 6 bpm below the patient's usual (wearable)",
        "sleep_minutes_per_day_7d": "5.5 h of sleep a day over the last week (wearable)",
        "steps_per_day_7d": "No wearable steps in the last week",
    }


def test_scores_carry_their_explanations_in_risk_order(trained):
    model, stays = trained
    stays = stays.assign(admitted_at=stays["admitted_at"].dt.floor("us"), as_of=stays["as_of"].dt.floor("us"))
    table = scoring.score(LoadedModel("readmission_risk", "3", model), stays.head(20), dt.date(2026, 1, 5),
                          dt.datetime.now(dt.UTC))
    assert table.schema.field("explanation").type == explanations.EXPLANATION_TYPE
    rows = table.to_pylist()
    assert [r["risk"] for r in rows] == sorted((r["risk"] for r in rows), reverse=True)
    by_encounter = dict(zip(stays["encounter_id"], explanations.explain(model, stays.head(20)), strict=False))
    assert all(r["explanation"] == by_encounter[r["encounter_id"]] for r in rows)

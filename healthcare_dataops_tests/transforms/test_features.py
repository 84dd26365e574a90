"""patient_features on hand-built silver rows: point-in-time correctness and the label."""

import datetime as dt

import pytest
from pyspark.sql import functions as F

from healthcare_dataops.privacy import keys
from healthcare_dataops.transforms.features import (
    FEATURES,
    LAST_LAB_TIMES,
    inpatient_features,
    patient_features,
)

T = dt.datetime
KEY = keys.key_bytes(keys.DEVELOPMENT_KEY)
FEEDS_BEGAN_AT = T(2025, 12, 1, tzinfo=dt.UTC)


def _ts(text: str) -> dt.datetime:
    return T.fromisoformat(text)


@pytest.fixture
def silver(spark):
    code = ("183452005", None)  # an emergency admission, with no reason recorded
    encounters = spark.createDataFrame(
        [
            # patient p: A (index), an ED visit, B 10 days after A (a readmission), C 31 days after B.
            ("A", "p", "inpatient", *code, T(2026, 1, 1, 8), T(2026, 1, 5, 12), 100.0, dt.date(2026, 1, 5)),
            ("ED", "p", "emergency", *code, T(2026, 1, 7, 8), T(2026, 1, 7, 12), 4.0, dt.date(2026, 1, 7)),
            ("B", "p", "inpatient", *code, T(2026, 1, 15, 8), T(2026, 1, 18, 8), 72.0, dt.date(2026, 1, 18)),
            ("C", "p", "inpatient", *code, T(2026, 2, 18, 9), T(2026, 2, 20, 9), 48.0, dt.date(2026, 2, 20)),
            # patient q: discharged a week before the data end: its label is not final yet.
            ("Q", "q", "inpatient", *code, T(2026, 3, 20, 8), T(2026, 3, 25, 8), 120.0, dt.date(2026, 4, 1)),
            # patient q again: admitted on 2026-03-29 and still in hospital at the data end.
            ("O", "q", "inpatient", *code, T(2026, 3, 29, 10), None, None, dt.date(2026, 4, 1)),
        ],
        "encounter_id string, patient_id string, encounter_class string, code string, reason_code string, "
        "start_at timestamp, end_at timestamp, length_of_stay_hours double, delivery_date date",
    )
    patients = spark.createDataFrame(
        [("p", "F", "65-74", 1956, None), ("q", "M", "90+", None, None)],
        "patient_id string, sex string, age_band string, birth_year int, deceased_date date",
    )
    conditions = spark.createDataFrame(
        [("p", "A", "44054006", dt.date(2020, 1, 1)), ("p", "B", "88805009", dt.date(2026, 1, 10))],  # CHF after A
        "patient_id string, encounter_id string, code string, onset_date date",
    )
    labs = spark.createDataFrame(
        [
            ("p", "creatinine", 1.0, T(2026, 1, 1, 9)),
            ("p", "creatinine", 1.4, T(2026, 1, 3, 9)),
            ("p", "creatinine", 9.9, T(2026, 1, 5, 13)),  # an hour after A's discharge
        ],
        "patient_id string, analyte string, value double, observed_at timestamp",
    )
    vitals = spark.createDataFrame(
        [
            ("p", T(2026, 1, 5, 9), dt.date(2026, 1, 5), 100.0, 95.0, None, 60.0),
            ("p", T(2026, 1, 5, 12), dt.date(2026, 1, 5), 5000.0, 80.0, None, 90.0),  # after discharge
        ],
        "patient_id string, hour_start timestamp, measured_date date, steps double, spo2_min double, "
        "sleep_minutes double, resting_heart_rate double",
    )
    return encounters, patients, conditions, labs, vitals


@pytest.fixture
def features(silver):
    rows = patient_features(*silver, key=KEY, feeds_began_at=FEEDS_BEGAN_AT).collect()
    return {row["encounter_id"]: row.asDict() for row in rows}


def test_one_row_per_discharged_inpatient_admission(features):
    assert sorted(features) == ["A", "B", "C", "Q"]  # O is still open


def test_data_recorded_after_the_discharge_does_not_feed_the_row(features):
    a, b = features["A"], features["B"]
    assert (a["creatinine_last"], a["creatinine_trend"]) == (1.4, pytest.approx(0.4))
    assert b["creatinine_last"] == 9.9  # the post-discharge value belongs to the next stay
    assert (a["diabetes"], a["chf"], a["comorbidity_count"]) == (1, 0, 1)
    assert (b["chf"], b["comorbidity_count"]) == (1, 2)
    assert (a["steps_per_day_7d"], a["spo2_min_7d"]) == (100.0, 95.0)
    assert (b["admissions_12m"], b["ed_visits_12m"], a["admissions_12m"]) == (1, 1, 0)


def test_the_label_is_an_inpatient_admission_within_30_days(features):
    assert features["A"]["readmitted_30d"] == 1  # B, ten days on; the ED visit does not count
    assert features["B"]["readmitted_30d"] == 0  # C starts 31 days after B's discharge
    assert features["C"]["readmitted_30d"] == 0
    assert all(features[k]["label_complete"] for k in "ABC")
    assert features["Q"]["label_complete"] is False  # data end a week after Q's discharge


def test_age_at_discharge_counts_ninety_and_over_as_ninety(features):
    assert features["A"]["age_at_discharge"] == 70
    assert features["Q"]["age_at_discharge"] == 90


def _open_stays(silver, as_of: str):
    rows = inpatient_features(*silver, F.lit(_ts(as_of))).collect()
    return {row["encounter_id"]: row.asDict() for row in rows}


def test_open_stays_are_described_as_of_the_scoring_time(silver, spark):
    labs = silver[3].unionByName(spark.createDataFrame(
        [("q", "sodium", 131.0, T(2026, 3, 30, 6)), ("q", "sodium", 150.0, T(2026, 3, 31, 6))],
        "patient_id string, analyte string, value double, observed_at timestamp",
    ))
    silver = (*silver[:3], labs, silver[4])
    stays = _open_stays(silver, "2026-03-31 00:00:00")
    assert sorted(stays) == ["O"]
    o = stays["O"]
    assert o["sodium_last"] == 131.0  # the 150 comes after the scoring time
    # When that last value was measured, for the score's explanation; not a model input.
    assert o["sodium_last_at"] == _ts("2026-03-30 06:00:00")
    assert o["length_of_stay_days"] == pytest.approx(38 / 24)  # admitted 38 hours earlier
    assert (o["admissions_12m"], o["age_at_discharge"]) == (1, 90)  # Q counts; 90+ counts as 90
    assert list(o)[4:] == [*FEATURES, *LAST_LAB_TIMES]


def test_a_stay_is_open_from_its_admission_until_its_discharge(silver):
    assert sorted(_open_stays(silver, "2026-03-29 09:59:00")) == []
    assert sorted(_open_stays(silver, "2026-01-03 00:00:00")) == ["A"]  # discharged later: open then
    assert sorted(_open_stays(silver, "2026-01-05 12:00:00")) == []  # A's discharge time

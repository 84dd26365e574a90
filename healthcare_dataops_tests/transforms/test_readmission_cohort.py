"""The readmission measure's cohort rules and outcome on hand-built stays, one case each:
death, transfer, discharge against advice, planned readmissions (always, and when booked),
only the first readmission counting, the window's edges, history before the feeds, and the
LACE and HOSPITAL points of a known stay."""

import datetime as dt

import pytest
from pyspark.sql import functions as F

from healthcare_dataops.privacy import keys, shift_days_of
from healthcare_dataops.transforms.features import inpatient_features, patient_features
from healthcare_dataops.transforms.readmission_cohort import (
    AGAINST_MEDICAL_ADVICE,
    DIED_IN_HOSPITAL,
    TRANSFERRED_OUT,
)

T = dt.datetime
KEY = keys.key_bytes(keys.DEVELOPMENT_KEY)
FEEDS_BEGAN_AT = T(2025, 12, 1, tzinfo=dt.UTC)
EMERGENCY, ELECTIVE, TRANSFER = "183452005", "8715000", "32485007"
PCI, REHABILITATION, PNEUMONIA = "415070008", "52052004", "233604007"
LAST_DAY = dt.date(2026, 12, 31)  # the data run long past every discharge: labels are final


def _ts(text: str | None) -> T | None:
    return None if text is None else T.fromisoformat(text)


# (encounter, patient, class, code, reason, start, end)
STAYS = [
    # d: discharged alive, readmitted a week later, and dies in that stay.
    ("D0", "d", "inpatient", EMERGENCY, None, "2026-01-01 08:00", "2026-01-03 12:00"),
    ("D1", "d", "inpatient", EMERGENCY, None, "2026-01-10 08:00", "2026-01-12 14:00"),
    # t: two stays a year before, an ED visit, then a transfer two hours after a discharge,
    # and a readmission twelve days after the second hospital's discharge.
    ("TH1", "t", "inpatient", EMERGENCY, None, "2025-10-01 08:00", "2025-10-03 08:00"),
    ("TH2", "t", "inpatient", EMERGENCY, None, "2025-12-01 08:00", "2025-12-03 08:00"),
    ("TED0", "t", "emergency", "50849002", None, "2026-01-15 08:00", "2026-01-15 12:00"),
    ("TED1", "t", "emergency", "50849002", None, "2026-02-01 06:00", "2026-02-01 08:00"),
    ("T1", "t", "inpatient", EMERGENCY, None, "2026-02-01 08:00", "2026-02-04 12:00"),
    ("T2", "t", "inpatient", TRANSFER, None, "2026-02-04 14:00", "2026-02-08 10:00"),
    ("T3", "t", "inpatient", EMERGENCY, None, "2026-02-20 09:00", "2026-02-22 09:00"),
    # a: leaves against medical advice.
    ("A1", "a", "inpatient", EMERGENCY, None, "2026-03-01 08:00", "2026-03-02 08:00"),
    # pl: a booked PCI first, an unplanned admission after it: only the first counts.
    ("P1", "pl", "inpatient", EMERGENCY, None, "2026-04-01 08:00", "2026-04-05 12:00"),
    ("P2", "pl", "inpatient", ELECTIVE, PCI, "2026-04-12 07:30", "2026-04-13 12:00"),
    ("P3", "pl", "inpatient", EMERGENCY, None, "2026-04-20 09:00", "2026-04-23 09:00"),
    # r: rehabilitation is planned even through the emergency department.
    ("R1", "r", "inpatient", EMERGENCY, None, "2026-05-01 08:00", "2026-05-03 12:00"),
    ("R2", "r", "inpatient", EMERGENCY, REHABILITATION, "2026-05-10 08:00", "2026-05-15 12:00"),
    # e: booked, but for pneumonia: not a planned readmission.
    ("E1", "e", "inpatient", EMERGENCY, None, "2026-06-01 08:00", "2026-06-02 12:00"),
    ("E2", "e", "inpatient", ELECTIVE, PNEUMONIA, "2026-06-10 08:00", "2026-06-12 12:00"),
    # w: 30 days and an hour later is outside the window; x: 26 hours later is a readmission.
    ("W1", "w", "inpatient", EMERGENCY, None, "2026-07-01 10:00", "2026-07-03 10:00"),
    ("W2", "w", "inpatient", EMERGENCY, None, "2026-08-02 11:00", "2026-08-04 11:00"),
    ("X1", "x", "inpatient", EMERGENCY, None, "2026-07-01 10:00", "2026-07-03 10:00"),
    ("X2", "x", "inpatient", EMERGENCY, None, "2026-07-04 12:00", "2026-07-05 12:00"),
    # o: transferred, and still in the second hospital.
    ("O1", "o", "inpatient", EMERGENCY, None, "2026-09-01 08:00", "2026-09-03 10:00"),
    ("O2", "o", "inpatient", TRANSFER, None, "2026-09-03 12:00", None),
]


@pytest.fixture(scope="module")
def silver(spark):
    encounters = spark.createDataFrame(
        # Delivered on the discharge day; the open stay is still in the last day's export.
        [(e, p, cls, code, reason, _ts(start), _ts(end), None, _ts(end).date() if end else LAST_DAY)
         for e, p, cls, code, reason, start, end in STAYS],
        "encounter_id string, patient_id string, encounter_class string, code string, reason_code string, "
        "start_at timestamp, end_at timestamp, length_of_stay_hours double, delivery_date date",
    )
    patients = spark.createDataFrame(
        [(p, "F", "75-89", 1946, dt.date(2026, 1, 12) if p == "d" else None) for p in {s[1] for s in STAYS}],
        "patient_id string, sex string, age_band string, birth_year int, deceased_date date",
    )
    conditions = spark.createDataFrame(
        [("a", "A1", "225928004", dt.date(2026, 3, 2)),
         ("t", "TH1", "88805009", dt.date(2025, 10, 1)),  # CHF: 1
         ("t", "TH1", "44054006", dt.date(2020, 1, 1)),  # diabetes: 1, replaced by ...
         ("t", "TH2", "127013003", dt.date(2025, 12, 1)),  # ... diabetes with organ damage: 2
         ("t", "T3", "433144002", dt.date(2026, 2, 21))],  # after T2's discharge: not counted
        "patient_id string, encounter_id string, code string, onset_date date",
    )
    labs = spark.createDataFrame(
        [("t", "hemoglobin", 10.5, _ts("2026-02-07 06:00")), ("t", "sodium", 133.0, _ts("2026-02-07 06:00"))],
        "patient_id string, analyte string, value double, observed_at timestamp",
    )
    vitals = spark.createDataFrame(
        [], "patient_id string, hour_start timestamp, measured_date date, steps double, spo2_min double, "
        "sleep_minutes double, resting_heart_rate double",
    )
    return encounters, patients, conditions, labs, vitals


@pytest.fixture(scope="module")
def rows(silver):
    found = patient_features(*silver, key=KEY, feeds_began_at=FEEDS_BEGAN_AT).collect()
    return {row["encounter_id"]: row.asDict() for row in found}


def test_every_closed_stay_has_a_row_and_open_ones_none(rows):
    assert set(rows) == {e for e, _, cls, *_, end in STAYS if end is not None and cls == "inpatient"}


def test_a_stay_that_ends_in_death_is_not_an_index_admission(rows):
    assert rows["D1"]["cohort_exclusion"] == DIED_IN_HOSPITAL and rows["D1"]["readmitted_30d"] is None
    # The earlier stay ended alive: its readmission is the stay the patient died in.
    assert rows["D0"]["cohort_exclusion"] is None and rows["D0"]["readmitted_30d"] == 1


def test_a_transfer_makes_one_episode_whose_last_stay_is_the_index(rows):
    first, last = rows["T1"], rows["T2"]
    assert first["cohort_exclusion"] == TRANSFERRED_OUT and first["readmitted_30d"] is None
    assert last["cohort_exclusion"] is None and last["readmitted_30d"] == 1  # T3, twelve days on
    assert last["admitted_at"] == _ts("2026-02-01 08:00")  # the episode's first admission
    assert last["length_of_stay_days"] == pytest.approx((7 * 24 + 2) / 24)
    assert last["admissions_12m"] == 2  # TH1 and TH2; T1 began the episode


def test_a_discharge_against_medical_advice_is_not_an_index_admission(rows):
    assert rows["A1"]["cohort_exclusion"] == AGAINST_MEDICAL_ADVICE and rows["A1"]["readmitted_30d"] is None


def test_planned_readmissions_do_not_count_and_only_the_first_counts(rows):
    assert rows["P1"]["readmitted_30d"] == 0  # the booked PCI came first; P3 does not count for P1
    assert rows["P2"]["readmitted_30d"] == 1  # P3 is P2's own first readmission
    assert rows["R1"]["readmitted_30d"] == 0  # rehabilitation is always planned
    assert rows["E1"]["readmitted_30d"] == 1  # booked for pneumonia: not a planned reason


def test_the_window_is_thirty_days_and_a_day_apart_is_a_readmission(rows):
    assert rows["W1"]["readmitted_30d"] == 0  # 30 days and an hour
    assert rows["X1"]["readmitted_30d"] == 1 and rows["X1"]["cohort_exclusion"] is None  # 26 hours


def test_history_before_the_feeds_is_marked_and_never_label_complete(rows):
    for encounter in ("TH1", "TH2", "D0", "T2"):
        row = rows[encounter]
        real = row["discharged_at"].replace(tzinfo=dt.UTC) + dt.timedelta(days=shift_days_of(row["patient_id"], KEY))
        assert row["feed_day"] == pytest.approx((real - FEEDS_BEGAN_AT).total_seconds() / 86400)
        assert row["before_feeds"] == (row["feed_day"] < 0)
        assert row["label_complete"] == (not row["before_feeds"])
    assert rows["TH1"]["before_feeds"] and not rows["T2"]["before_feeds"]


def test_lace_and_hospital_points_of_a_known_stay(rows):
    t2 = rows["T2"]
    # LACE: 7-13 days 5, acute 3, Charlson 3 (heart failure 1, diabetes with organ damage 2, which
    # replaces diabetes's 1), one ED visit in 6 months (not the one that led to the admission).
    assert (t2["ed_visits_6m"], t2["lace_score"]) == (1, 5 + 3 + 3 + 1)
    # HOSPITAL: hemoglobin < 12 1, sodium < 135 1, urgent 1, 2 admissions in 12 months 2,
    # 5 days or more 2; no oncology reason, no procedure.
    assert t2["hospital_score"] == 1 + 1 + 1 + 2 + 2
    # Booked for a procedure: not acute (LACE A 0, HOSPITAL I 0), a procedure (HOSPITAL P 1).
    p2 = rows["P2"]
    assert p2["lace_score"] == 1 + 0 + 0 + 0 and p2["hospital_score"] == 1


def test_an_open_stay_that_continues_a_transfer_counts_from_the_first_admission(silver):
    as_of = F.lit(_ts("2026-09-04 00:00"))
    open_rows = {r["encounter_id"]: r.asDict() for r in inpatient_features(*silver, as_of).collect()}
    assert set(open_rows) == {"O2"}
    assert open_rows["O2"]["admitted_at"] == _ts("2026-09-01 08:00")
    assert open_rows["O2"]["length_of_stay_days"] == pytest.approx(2 + 16 / 24)


def test_the_serving_skew_scores_each_stay_as_of_days_before_its_discharge(silver):
    from healthcare_dataops.ml import training
    from healthcare_dataops.model_health import serving_skew
    from healthcare_dataops_tests.ml import synthetic_features

    frame = synthetic_features.build(300)[0]
    model = training.fit(frame, training.Hyperparameters(n_estimators=20))
    names = dict(zip(("encounters", "patients", "conditions", "lab_results", "wearable_vitals"), silver, strict=True))
    holdout = patient_features(*silver, key=KEY, feeds_began_at=FEEDS_BEGAN_AT).toPandas()
    holdout = holdout[holdout["cohort_exclusion"].isna()]
    found = {s.days_before: s for s in serving_skew.measure(names, model, holdout, frame)}
    # T2 (7 days), P1 (4), R2 (5), D0 (2), E1 (1)...: a stay is in a day's snapshot if it was open then.
    assert found[1].admissions == sum(holdout["length_of_stay_days"] >= 1)
    assert found[2].admissions == sum(holdout["length_of_stay_days"] >= 2)
    assert 0 <= found[1].below_shortest_stay <= 1 and found[1].mean_absolute_change >= 0
    assert "day(s) before discharge" in serving_skew.describe(list(found.values()))

"""The true 30-day readmission risk: a known logistic function of delivered inputs.

Every input is something the feeds deliver before or at discharge, so a model trained on
the lakehouse can learn it:

* ``age``: whole years at discharge (EHR ``patients.BIRTHDATE``);
* comorbidity flags and their count (EHR ``conditions``, SNOMED codes);
* ``prior_admissions_12m``: inpatient encounters that started in the 365 days before this
  admission (the first of its episode, for a transfer) started (EHR ``encounters``, the
  first export's simulated year included);
* ``length_of_stay_days``: (STOP - START) of the inpatient encounter in days, from the START
  of the episode's first stay where a transfer continues it;
* the latest creatinine, sodium and hemoglobin before discharge (HL7 OBX values; every stay
  draws them on arrival in the ED and each morning), and the latest HbA1c delivered by any
  lab since the feeds began, if there is one;
* for patients with a device, ``resting_hr_delta``: a day's nightly heart rate is the mean of
  its heart-rate readings from 00:00 to 05:00 device-local time; the delta is the mean of the
  nightly rates of the 3 local days before the discharge day minus the mean of those of days
  10..4 before the admission day (local dates in the hospital's zone; days without readings
  are left out, and with none on either side the input is missing); ``steps_per_day_7d``:
  the steps of the local days among the 7 before the discharge day on which the device
  delivered anything, divided by the number of such days.

Inputs are taken as delivered: lab values as the lab rounds them, readings before any firmware
drift (the drift changes what is reported, not the patient's risk).

    logit p = INTERCEPT + sum_k COEFFICIENTS[k] * term_k(inputs)

with the terms below (missing wearable or HbA1c inputs contribute 0).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

# Every patient has a year of simulated admissions behind them, most of them at least the four
# the term counts: the intercept puts the label's prevalence near 20%.
INTERCEPT = -4.2
COEFFICIENTS = {
    "age_decades_over_70": 0.30,        # (age - 70) / 10
    "comorbidity_count": 0.12,          # of the seven flags below
    "chf": 0.45,
    "ckd": 0.30,
    "copd": 0.30,
    "diabetes": 0.10,
    "prior_admissions_12m": 0.32,       # capped at 4
    "length_of_stay_over_4d": 0.10,     # (LOS days - 4)
    "hba1c_over_7": 0.25,               # max(0, HbA1c - 7) in %
    "creatinine_over_1_2": 0.80,        # max(0, creatinine - 1.2) in mg/dL
    "sodium_under_135": 0.15,           # max(0, 135 - sodium) in mmol/L
    "hemoglobin_under_11": 0.25,        # max(0, 11 - hemoglobin) in g/dL
    "resting_hr_delta": 0.09,           # bpm above the pre-admission baseline
    "steps_thousands_under_3k": 0.30,   # max(0, 3000 - steps per day) / 1000
}
COMORBIDITY_FLAGS = ("diabetes", "hypertension", "chf", "ckd", "copd", "cad", "afib")


@dataclass(frozen=True)
class RiskInputs:
    age: int
    diabetes: bool
    hypertension: bool
    chf: bool
    ckd: bool
    copd: bool
    cad: bool
    afib: bool
    prior_admissions_12m: int
    length_of_stay_days: float
    creatinine: float
    sodium: float
    hemoglobin: float
    hba1c: float | None
    resting_hr_delta: float | None
    steps_per_day_7d: float | None

    @property
    def comorbidity_count(self) -> int:
        return sum(bool(getattr(self, flag)) for flag in COMORBIDITY_FLAGS)

    def as_row(self) -> dict[str, object]:
        row = asdict(self)
        row["comorbidity_count"] = self.comorbidity_count
        return row


def terms(x: RiskInputs) -> dict[str, float]:
    return {
        "age_decades_over_70": (x.age - 70) / 10,
        "comorbidity_count": float(x.comorbidity_count),
        "chf": float(x.chf), "ckd": float(x.ckd), "copd": float(x.copd),
        "diabetes": float(x.diabetes),
        "prior_admissions_12m": float(min(x.prior_admissions_12m, 4)),
        "length_of_stay_over_4d": x.length_of_stay_days - 4,
        "hba1c_over_7": max(0.0, x.hba1c - 7) if x.hba1c is not None else 0.0,
        "creatinine_over_1_2": max(0.0, x.creatinine - 1.2),
        "sodium_under_135": max(0.0, 135 - x.sodium),
        "hemoglobin_under_11": max(0.0, 11 - x.hemoglobin),
        "resting_hr_delta": x.resting_hr_delta if x.resting_hr_delta is not None else 0.0,
        "steps_thousands_under_3k": (
            max(0.0, 3000 - x.steps_per_day_7d) / 1000 if x.steps_per_day_7d is not None else 0.0
        ),
    }


def readmission_probability(x: RiskInputs) -> float:
    logit = INTERCEPT + sum(COEFFICIENTS[k] * v for k, v in terms(x).items())
    return 1 / (1 + math.exp(-logit))

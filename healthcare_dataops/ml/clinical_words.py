"""A model input's value for one stay, in the words a clinician reads on the worklist:
"HbA1c 9.1 %, last measured 2 days ago", "3 admissions in 6 months".

The words follow the feature definitions (``transforms.features``): the lab analytes and their
canonical units (``data/reference/lab_analytes.csv``), the comorbidity flags, the utilization
windows, the wearable summaries. A missing value is said as missing, since the model reads
that too.
"""

from __future__ import annotations

import math
from functools import cache

import pandas as pd

from healthcare_dataops.transforms.features import COMORBIDITIES, KEY_LABS

LAB_NAMES = {
    "hba1c": "HbA1c", "glucose": "Glucose", "creatinine": "Creatinine", "potassium": "Potassium",
    "sodium": "Sodium", "hemoglobin": "Hemoglobin", "wbc": "White cell count",
}
CONDITION_NAMES = {
    "diabetes": "diabetes", "hypertension": "hypertension", "chf": "heart failure",
    "ckd": "chronic kidney disease", "copd": "COPD", "cad": "coronary artery disease",
    "afib": "atrial fibrillation",
}
# UCUM as the reference spells it → as a ward prints it.
_UNIT_DISPLAY = {"10*3/uL": "×10³/µL"}
_UTILIZATION = {
    "admissions_6m": ("admission", "6 months"), "admissions_12m": ("admission", "12 months"),
    "ed_visits_6m": ("emergency visit", "6 months"), "ed_visits_12m": ("emergency visit", "12 months"),
}


@cache
def lab_units() -> dict[str, str]:
    """Each key lab's canonical unit, as silver converts every result to it."""
    from healthcare_dataops import reference

    units = {row["analyte"]: row["canonical_unit"] for row in reference.read_rows("lab_analytes.csv")}
    return {analyte: _UNIT_DISPLAY.get(units[analyte], units[analyte]) for analyte in KEY_LABS}


def describe(feature: str, stay: pd.Series) -> str:
    """``feature`` (a model input) of ``stay`` (a row of ``inpatient_features``) in words."""
    analyte, _, kind = feature.rpartition("_")
    if analyte in LAB_NAMES and kind in ("last", "trend"):
        return _lab_last(analyte, stay) if kind == "last" else _lab_trend(analyte, stay)
    if feature in CONDITION_NAMES:
        condition = CONDITION_NAMES[feature]
        return f"Known {condition}" if _number(stay, feature) else f"No {condition} on record"
    if feature in _UTILIZATION:
        noun, window = _UTILIZATION[feature]
        count = int(_number(stay, feature) or 0)
        return f"{count} {noun}{'' if count == 1 else 's'} in the {window} before this one"
    value = _number(stay, feature)
    return _OTHER.get(feature, _generic)(feature, value, stay)


def _number(stay: pd.Series, column: str) -> float | None:
    value = stay.get(column)
    if value is None or (isinstance(value, float) and math.isnan(value)) or pd.isna(value):
        return None
    return float(value)


def _lab_last(analyte: str, stay: pd.Series) -> str:
    name, unit = LAB_NAMES[analyte], lab_units()[analyte]
    value = _number(stay, f"{analyte}_last")
    if value is None:
        return f"No {name} result on record"
    return f"{name} {value:g} {unit}{_measured(stay, analyte)}"


def _measured(stay: pd.Series, analyte: str) -> str:
    """", last measured 2 days ago", counted back from the score's moment (both on the
    patient's shifted clock, so the difference is exact); empty where the time is not known."""
    observed, as_of = stay.get(f"{analyte}_last_at"), stay.get("as_of")
    if observed is None or as_of is None or pd.isna(observed) or pd.isna(as_of):
        return ""
    hours = (pd.Timestamp(as_of) - pd.Timestamp(observed)).total_seconds() / 3600
    if hours < 24:
        return f", last measured {max(int(hours), 1)} hour{'' if int(hours) <= 1 else 's'} ago"
    days = int(hours // 24)
    return f", last measured {days} day{'' if days == 1 else 's'} ago"


def _lab_trend(analyte: str, stay: pd.Series) -> str:
    name, unit = LAB_NAMES[analyte], lab_units()[analyte]
    change = _number(stay, f"{analyte}_trend")
    if change is None:
        return f"No earlier {name} result to compare with"
    if change == 0:
        return f"{name} unchanged since the result before"
    return f"{name} {'up' if change > 0 else 'down'} {abs(change):.3g} {unit} since the result before"


def _age(_: str, value: float | None, __: pd.Series) -> str:
    return "Age not recorded" if value is None else ("Age 90 or over" if value >= 90 else f"Age {int(value)}")


def _sex(_: str, __: float | None, stay: pd.Series) -> str:
    # The model's input is an indicator (sex_female) made from the stay's sex.
    sex = str(stay.get("sex") or "").upper()
    return {"F": "Female", "M": "Male"}.get(sex, "Sex not recorded")


def _stay_length(_: str, value: float | None, __: pd.Series) -> str:
    return "Length of stay not known" if value is None else f"{value:.1f} days in hospital so far"


def _chronic(_: str, value: float | None, __: pd.Series) -> str:
    count = int(value or 0)
    return f"{count} chronic condition{'' if count == 1 else 's'} on record"


def _wearable(text: str, missing: str, scale: float = 1.0):
    def words(_: str, value: float | None, __: pd.Series) -> str:
        return missing if value is None else text.format(value * scale, sign="above" if value >= 0 else "below",
                                                         size=abs(value) * scale)
    return words


def _generic(feature: str, value: float | None, _: pd.Series) -> str:
    return f"{feature.replace('_', ' ')}: {'not recorded' if value is None else f'{value:g}'}"


_OTHER = {
    "age_at_discharge": _age,
    "sex_female": _sex,
    "length_of_stay_days": _stay_length,
    "comorbidity_count": _chronic,
    "resting_hr_3d": _wearable("Resting heart rate {0:.0f} bpm over the last 3 days (wearable)",
                               "No wearable heart rate in the last 3 days"),
    "resting_hr_delta": _wearable("Resting heart rate {size:.0f} bpm {sign} the patient's usual (wearable)",
                                  "No usual resting heart rate to compare with"),
    "steps_per_day_7d": _wearable("{0:,.0f} steps a day over the last week (wearable)",
                                  "No wearable steps in the last week"),
    "spo2_min_7d": _wearable("Lowest SpO2 {0:.0f} % in the last week (wearable)", "No wearable SpO2 in the last week"),
    "sleep_minutes_per_day_7d": _wearable("{0:.1f} h of sleep a day over the last week (wearable)",
                                          "No wearable sleep in the last week", scale=1 / 60),
}

assert set(CONDITION_NAMES) == set(COMORBIDITIES) and set(LAB_NAMES) == set(KEY_LABS)

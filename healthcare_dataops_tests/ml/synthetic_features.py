"""A gold ``patient_features`` table with a known readmission risk, written with delta-rs.

The risk model's tests start from the gold table, not from the feeds: the features' own
tests cover how silver becomes gold, and a known logistic risk lets these tests know what a
good model, a bad one and the best possible one look like.
"""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path

import numpy as np
import pandas as pd
from deltalake import write_deltalake

from healthcare_dataops.privacy import keys, pseudonym_of
from healthcare_dataops.transforms.features import COMORBIDITIES, FEATURES, KEY_LABS, OUTCOME_COLUMNS

START = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)


def true_risk(frame: pd.DataFrame) -> np.ndarray:
    logit = (
        -2.4
        + 1.1 * frame["chf"]
        + 0.9 * (frame["creatinine_last"].fillna(1.0) - 1.2).clip(lower=0)
        + 0.45 * frame["admissions_12m"]
        + 0.04 * (frame["age_at_discharge"] - 70)
        + 0.08 * frame["resting_hr_delta"].fillna(0)
    )
    return 1 / (1 + np.exp(-logit.to_numpy(dtype=float)))


def build(rows: int, seed: int = 11) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(feature rows, generator-style truth keyed by raw encounter id)."""
    rng = np.random.default_rng(seed)
    raw_ids = [str(uuid.UUID(int=int(rng.integers(0, 2**63)) << 64 | i)) for i in range(rows)]
    key = keys.key_bytes(keys.DEVELOPMENT_KEY)
    discharged = START + pd.to_timedelta(np.sort(rng.uniform(0, 700, rows)), unit="D")
    age = rng.integers(40, 95, rows)
    frame = pd.DataFrame({
        "encounter_id": [pseudonym_of(r, key, "encounter") for r in raw_ids],
        "patient_id": [pseudonym_of(f"patient-{i % (rows // 2)}", key, "patient") for i in range(rows)],
        "admitted_at": discharged - pd.to_timedelta(rng.uniform(1, 9, rows), unit="D"),
        "discharged_at": discharged,
        "sex": rng.choice(["F", "M"], rows),
        "age_band": np.where(age >= 90, "90+", np.where(age >= 75, "75-89", np.where(age >= 65, "65-74", "45-64"))),
        "age_at_discharge": np.minimum(age, 90).astype("int32"),
    })
    for flag in COMORBIDITIES:
        frame[flag] = (rng.random(rows) < 0.3).astype("int32")
    for name in ("admissions_6m", "admissions_12m", "ed_visits_6m", "ed_visits_12m"):
        frame[name] = rng.poisson(0.6, rows).astype("int32")
    frame["comorbidity_count"] = frame[list(COMORBIDITIES)].sum(axis=1).astype("int32")
    frame["length_of_stay_days"] = (frame["discharged_at"] - frame["admitted_at"]).dt.total_seconds() / 86400
    for analyte in KEY_LABS:
        frame[f"{analyte}_last"] = np.where(rng.random(rows) < 0.1, np.nan, rng.normal(1.0, 0.5, rows))
        frame[f"{analyte}_trend"] = rng.normal(0, 0.2, rows)
    frame["creatinine_last"] = np.abs(rng.normal(1.3, 0.6, rows))
    for name in ("resting_hr_3d", "resting_hr_delta", "steps_per_day_7d", "spo2_min_7d", "sleep_minutes_per_day_7d"):
        centre = 0 if name == "resting_hr_delta" else 60
        frame[name] = np.where(rng.random(rows) < 0.6, np.nan, rng.normal(centre, 5, rows))
    risk = true_risk(frame)
    frame["readmitted_30d"] = (rng.random(rows) < risk).astype("int32")
    frame["label_complete"] = True
    frame["cohort_exclusion"] = pd.Series(pd.NA, index=frame.index, dtype="string")
    frame["before_feeds"] = False
    # Real time: days since the first delivery (no date shift here, so the discharge's).
    frame["feed_day"] = (frame["discharged_at"] - START).dt.total_seconds() / 86400
    # Clinical scores with some of the risk's signal, as LACE and HOSPITAL have: weaker than a model.
    frame["lace_score"] = (np.minimum(np.floor(frame["length_of_stay_days"]), 7) + 3 + np.minimum(
        frame["comorbidity_count"], 5) + np.minimum(frame["ed_visits_6m"], 4)).astype("int32")
    frame["hospital_score"] = (np.where(frame["admissions_12m"] >= 2, 2, 0) + 1
                               + np.where(frame["length_of_stay_days"] >= 5, 2, 0)).astype("int32")
    frame = frame[["encounter_id", "patient_id", "admitted_at", "discharged_at", *FEATURES, *OUTCOME_COLUMNS]]
    truth = pd.DataFrame({"encounter_id": raw_ids, "true_probability": risk, "readmitted_30d": frame["readmitted_30d"]})
    return frame, truth


def write(lakehouse: Path, frame: pd.DataFrame) -> None:
    write_deltalake(str(lakehouse / "gold" / "patient_features"), frame, mode="overwrite")

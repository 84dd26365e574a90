"""The readmission label: one per inpatient discharge, drawn from a risk whose inputs the
feeds deliver, with signal a plain logistic regression can learn."""

from __future__ import annotations

import csv
import datetime as dt
from collections import defaultdict

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import cross_val_predict

from .feeds import data_points, ehr_rows, iso, lab_results

PANEL = ("--patients", "1200", "--days", "30", "--sources", "ehr,labs")
FEATURES = ("age", "diabetes", "hypertension", "chf", "ckd", "copd", "cad", "afib", "prior_admissions_12m",
            "length_of_stay_days", "creatinine", "sodium", "hemoglobin", "hba1c", "resting_hr_delta",
            "steps_per_day_7d")
EST = dt.timezone(dt.timedelta(hours=-5))  # every day generated here is in January


def read(path):
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def panel(generated):
    landing, side = generated(*PANEL)
    return (landing, read(side / "readmission_truth.csv"),
            {r["encounter_id"]: r for r in read(side / "readmission_risk_inputs.csv")})


def test_truth_covers_every_inpatient_discharge(panel):
    landing, truth, inputs = panel
    discharged = {e["Id"] for e in ehr_rows(landing, "encounters")
                  if e["ENCOUNTERCLASS"] == "inpatient" and e["STOP"] >= "2026-01-01T05:00:00Z"}
    assert {t["encounter_id"] for t in truth} == discharged == set(inputs)
    assert len(truth) > 200
    p = np.array([float(t["true_probability"]) for t in truth])
    y = np.array([int(t["readmitted_30d"]) for t in truth])
    assert ((p > 0) & (p < 1)).all()
    assert 0.10 <= y.mean() <= 0.30 and abs(y.mean() - p.mean()) < 0.06


def test_readmissions_follow_the_label(panel):
    """After a discharge labelled 0 no inpatient stay starts within 30 days; after one
    labelled 1 the next stay the feeds show starts within 30 days."""
    landing, truth, _ = panel
    starts = defaultdict(list)
    for e in ehr_rows(landing, "encounters"):
        if e["ENCOUNTERCLASS"] == "inpatient":
            starts[e["PATIENT"]].append(iso(e["START"]))
    seen_next = 0
    for t in truth:
        discharge = iso(t["discharge_time"])
        later = sorted(s for s in starts[t["patient_id"]] if s > discharge)
        soon = bool(later) and later[0] - discharge <= dt.timedelta(days=30)
        if t["readmitted_30d"] == "0":
            assert not soon, t
        elif later:
            assert soon, t
            seen_next += 1
    assert seen_next > 10


def design(inputs: dict) -> list[float]:
    row = []
    for name in FEATURES:
        value = inputs[name]
        row += [1.0 if value == "True" else 0.0 if value in ("False", "") else float(value)]
        if name in ("hba1c", "resting_hr_delta", "steps_per_day_7d"):
            row.append(float(value == ""))
    return row


def test_a_logistic_regression_on_the_risk_inputs_learns_the_signal(panel):
    _, truth, inputs = panel
    x = np.array([design(inputs[t["encounter_id"]]) for t in truth])
    y = np.array([int(t["readmitted_30d"]) for t in truth])
    x = (x - x.mean(axis=0)) / (x.std(axis=0) + 1e-9)
    scores = cross_val_predict(LogisticRegression(max_iter=2000), x, y, cv=5, method="predict_proba")[:, 1]
    assert roc_auc_score(y, scores) > 0.68
    assert roc_auc_score(y, [float(t["true_probability"]) for t in truth]) > 0.7


def test_risk_inputs_are_what_the_feeds_deliver(panel):
    landing, truth, inputs = panel
    encounters = {e["Id"]: e for e in ehr_rows(landing, "encounters")}
    born = {p["Id"]: dt.date.fromisoformat(p["BIRTHDATE"]) for p in ehr_rows(landing, "patients")}
    codes = defaultdict(set)
    for c in ehr_rows(landing, "conditions"):
        codes[c["PATIENT"]].add(c["CODE"])
    admissions = defaultdict(list)
    for e in encounters.values():
        if e["ENCOUNTERCLASS"] == "inpatient":
            admissions[e["PATIENT"]].append(iso(e["START"]))
    labs = defaultdict(list)
    for r in lab_results(landing):
        labs[r["mrn"]].append(r)
    for t in truth:
        x, stay, patient = inputs[t["encounter_id"]], encounters[t["encounter_id"]], t["patient_id"]
        start, stop = iso(stay["START"]), iso(stay["STOP"])
        discharge_day = stop.astimezone(EST).date()
        age = discharge_day.year - born[patient].year - ((discharge_day.month, discharge_day.day) <
                                                         (born[patient].month, born[patient].day))
        assert int(x["age"]) == age
        assert abs(float(x["length_of_stay_days"]) - (stop - start).total_seconds() / 86400) < 1e-3
        prior = sum(start - dt.timedelta(days=365) <= s < start for s in admissions[patient])
        assert int(x["prior_admissions_12m"]) == prior
        assert (x["chf"] == "True") == ("88805009" in codes[patient])
        assert (x["ckd"] == "True") == bool({"431855005", "433144002"} & codes[patient])
        assert (x["diabetes"] == "True") == ("44054006" in codes[patient])
        before = sorted((r for r in labs[patient] if r["observed"] < stop), key=lambda r: r["observed"])
        for loinc, name in (("2160-0", "creatinine"), ("2951-2", "sodium"), ("718-7", "hemoglobin"),
                            ("4548-4", "hba1c")):
            latest = [r["value"] for r in before if r["loinc"] == loinc]
            assert (float(x[name]) if x[name] else None) == (latest[-1] if latest else None), (name, t)


def test_wearable_inputs_are_computed_from_the_delivered_readings(generated):
    landing, side = generated("--patients", "120", "--days", "12", "--sources", "ehr,wearables",
                              "--heart-rate-every-minutes", "10")
    truth = read(side / "readmission_truth.csv")
    inputs = {r["encounter_id"]: r for r in read(side / "readmission_risk_inputs.csv")}
    device_of = {}
    for path in landing.glob("wearables/*/device_enrollment.csv"):
        device_of.update({r["PATIENT_MRN"]: r["DEVICE_ID"] for r in read(path)})
    night, steps = defaultdict(list), defaultdict(int)  # (device, local day) -> readings
    present = set()
    for path in landing.glob("wearables/*/*.jsonl"):
        for point in data_points(path):
            device, body = point["header"]["user_id"], point["body"]
            name = point["header"]["schema_id"]["name"]
            present.add((device, path.parent.name))
            if name == "heart-rate" and body["effective_time_frame"]["date_time"][11:13] < "05":
                night[(device, path.parent.name)].append(body["heart_rate"]["value"])
            elif name == "step-count":
                steps[(device, path.parent.name)] += body["step_count"]["value"]
    checked = 0
    for t in truth:
        x = inputs[t["encounter_id"]]
        device = device_of.get(t["patient_id"])
        discharge = iso(t["discharge_time"]).astimezone(EST).date()
        admit = iso(t["admission_start"]).astimezone(EST).date()
        day = lambda d, k: (d + dt.timedelta(days=k)).isoformat()  # noqa: E731

        def mean_of_nights(days):
            nights = [np.mean(night[(device, d)]) for d in days if night.get((device, d))]  # noqa: B023
            return np.mean(nights) if nights else None

        recent, base = (mean_of_nights(day(discharge, -k) for k in (3, 2, 1)),
                        mean_of_nights(day(admit, -k) for k in range(10, 3, -1)))
        walked = [steps[(device, day(discharge, -k))] for k in range(7, 0, -1)
                  if (device, day(discharge, -k)) in present]
        expected_delta = None if recent is None or base is None else recent - base
        assert (x["resting_hr_delta"] == "") == (expected_delta is None)
        if expected_delta is not None:
            assert abs(float(x["resting_hr_delta"]) - expected_delta) < 1e-3
            checked += 1
        assert (x["steps_per_day_7d"] == "") == (not walked)
        if walked:
            assert abs(float(x["steps_per_day_7d"]) - np.mean(walked)) < 1e-3
    assert checked >= 1

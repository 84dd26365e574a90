"""Drift applies from its date and not before."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from .feeds import data_points, ehr_rows, lab_results, read_csv

BASE = ("--patients", "150", "--days", "4")
DRIFTS = ("--drift", "heart-rate-firmware@2026-01-03", "--drift", "glucose-mmol@2026-01-03",
          "--drift", "older-population@2026-01-03")


@pytest.fixture(scope="module")
def pair(generated):
    return generated(*BASE), generated(*BASE, *DRIFTS)


def files_of(landing, day):
    return {p.relative_to(landing).as_posix(): p.read_bytes() for p in landing.glob(f"*/{day}/*")}


def test_days_before_the_drift_are_identical(pair):
    (plain, _), (drifted, side) = pair
    for day in ("2026-01-01", "2026-01-02"):
        assert files_of(plain, day) == files_of(drifted, day)
    assert files_of(plain, "2026-01-03") != files_of(drifted, "2026-01-03")
    kinds = {d["kind"] for d in json.loads((side / "manifest.json").read_text())["drift"]}
    assert kinds == {"heart-rate-firmware", "glucose-mmol", "older-population"}


def heart_rates(landing, day):
    points = [p for path in landing.glob(f"wearables/{day}/pulsewear_*.jsonl") for p in data_points(path)]
    return [p for p in points if p["header"]["schema_id"]["name"] == "heart-rate"]


def test_firmware_update_reports_heart_rate_8_bpm_high(pair, generated):
    (plain, _), _ = pair
    drifted, _ = generated(*BASE, "--drift", "heart-rate-firmware@2026-01-03")
    for day in ("2026-01-03", "2026-01-04"):
        before, after = heart_rates(plain, day), heart_rates(drifted, day)
        assert [p["header"]["id"] for p in before] == [p["header"]["id"] for p in after]
        shift = [b["body"]["heart_rate"]["value"] - a["body"]["heart_rate"]["value"]
                 for a, b in zip(before, after, strict=True)]
        assert set(shift) == {8}
        assert ({p["header"]["acquisition_provenance"]["source_name"] for p in after}
                == {"PulseWear Band 3 firmware 3.0.0"})
    old = {p["header"]["acquisition_provenance"]["source_name"] for p in heart_rates(drifted, "2026-01-02")}
    assert old == {"PulseWear Band 3 firmware 2.4.1"}


def test_one_lab_switches_glucose_to_mmol_per_litre(pair):
    (_, _), (drifted, _) = pair
    glucose = [r for r in lab_results(drifted) if r["loinc"] in ("2345-7", "2339-0")]
    units = {(r["lab"], r["day"] >= "2026-01-03"): set() for r in glucose}
    for r in glucose:
        units[(r["lab"], r["day"] >= "2026-01-03")].add(r["units"])
    assert units[("citycore", True)] == {"mmol/L"}
    assert units[("citycore", False)] == {"mg/dL"}
    assert all(u == {"mg/dL"} for (lab, _), u in units.items() if lab != "citycore")
    assert all(r["value"] < 40 for r in glucose if r["units"] == "mmol/L")


def test_new_patients_and_admissions_skew_older(generated):
    args = ("--patients", "1000", "--days", "6", "--sources", "ehr")
    plain, _ = generated(*args)
    drifted, _ = generated(*args, "--drift", "older-population@2026-01-02")

    def ages(landing, cls=None):
        born = {p["Id"]: dt.date.fromisoformat(p["BIRTHDATE"]) for p in ehr_rows(landing, "patients")}
        if cls is None:  # patients registered after the first day
            later = [r for path in sorted(landing.glob("ehr/*/patients.csv"))[1:] for r in read_csv(path)[1]]
            return [(dt.date(2026, 1, 5) - born[p["Id"]]).days / 365.25 for p in later]
        return [(dt.date(2026, 1, 5) - born[e["PATIENT"]]).days / 365.25 for e in ehr_rows(landing, "encounters")
                if e["ENCOUNTERCLASS"] == cls and e["START"] >= "2026-01-02"]

    mean = lambda xs: sum(xs) / len(xs)  # noqa: E731
    assert mean(ages(drifted)) > mean(ages(plain)) + 10
    assert mean(ages(drifted, "inpatient")) > mean(ages(plain, "inpatient")) + 2


def test_a_recalibrated_analyzer_reports_one_analyte_off_at_one_lab(pair, generated):
    (plain, _), _ = pair
    drifted, side = generated(*BASE, "--drift", "creatinine-recalibration@2026-01-03",
                              "--drift", "potassium-recalibration@2026-01-03")
    before = {(r["mrn"], r["loinc"], r["observed"], r["lab"]): r for r in lab_results(plain)}
    after = lab_results(drifted)
    assert len(after) == len(before)
    changed = set()
    for r in after:
        was = before[(r["mrn"], r["loinc"], r["observed"], r["lab"])]["value"]
        recalibrated = r["lab"] == "citycore" and r["day"] >= "2026-01-03"
        if recalibrated and r["loinc"] == "2160-0":
            assert abs(r["value"] - was * 1.8) <= 0.0051  # to the lab's two decimals
            changed.add("creatinine")
        elif recalibrated and r["loinc"] == "2823-3":
            assert abs(r["value"] - (was + 0.8)) <= 0.051
            changed.add("potassium")
        else:
            assert r["value"] == was, r
    assert changed == {"creatinine", "potassium"}
    kinds = {d["kind"]: d for d in json.loads((side / "manifest.json").read_text())["drift"]}
    assert kinds["creatinine-recalibration"]["lab"] == "citycore"

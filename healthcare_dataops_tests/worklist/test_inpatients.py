"""The worklist's data on a scores table written here: the newest day ranked, the change since
the day before, the filters, the CSV; and the re-identification settings and refusals."""

from __future__ import annotations

import datetime as dt
import io

import pandas as pd
import pyarrow as pa
import pytest
from deltalake import DeltaTable, write_deltalake

from healthcare_dataops import settings
from healthcare_dataops.ml.scoring import SCORES_SCHEMA
from healthcare_dataops.privacy import keys, pseudonym_of
from healthcare_dataops.worklist import inpatients
from healthcare_dataops.worklist.reidentification import ReidentificationSettings, Reidentifier

AS_OF = dt.datetime(2026, 1, 3, 5, tzinfo=dt.UTC)
REASON = [{"feature": "chf", "contribution": 0.4, "text": "Known heart failure"},
          {"feature": "age_at_discharge", "contribution": -0.1, "text": "Age 54"}]


def _day(day: dt.date, risks: dict[str, float]) -> pa.Table:
    as_of = AS_OF - dt.timedelta(days=(dt.date(2026, 1, 2) - day).days)
    return pa.Table.from_pylist([{
        "patient_id": f"p-{encounter}", "encounter_id": encounter, "admitted_at": AS_OF - dt.timedelta(days=n + 1),
        "as_of": as_of, "risk": risk, "model_name": "readmission_risk", "model_version": "2",
        "scored_at": as_of, "delivery_date": day, "explanation": REASON,
    } for n, (encounter, risk) in enumerate(risks.items())], schema=SCORES_SCHEMA)


@pytest.fixture
def scores(tmp_path) -> str:
    uri = str(tmp_path / "patient_risk_scores")
    write_deltalake(uri, _day(dt.date(2026, 1, 1), {"a": 0.10, "b": 0.40}), partition_by=["delivery_date"])
    write_deltalake(uri, _day(dt.date(2026, 1, 2), {"a": 0.35, "b": 0.20, "c": 0.05}), mode="append",
                    partition_by=["delivery_date"])
    return uri


def test_the_newest_day_is_ranked_with_its_change_since_the_day_before(scores):
    worklist = inpatients.load(scores, {})
    stays = worklist.stays
    assert worklist.delivery_day == dt.date(2026, 1, 2)
    assert list(stays["encounter_id"]) == ["a", "b", "c"]
    assert list(stays["risk_band"]) == ["high", "medium", "low"]
    assert stays["risk_change"].iloc[0] == pytest.approx(0.25) and stays["risk_change"].iloc[1] == pytest.approx(-0.2)
    assert pd.isna(stays["risk_change"].iloc[2])  # not scored the day before
    assert list(stays["length_of_stay_days"]) == pytest.approx([1.0, 2.0, 3.0])


def test_filters_and_the_csv(scores):
    stays = inpatients.load(scores, {}).stays
    assert list(inpatients.select(stays, ["high", "low"], None, None)["encounter_id"]) == ["a", "c"]
    assert list(inpatients.select(stays, None, 1.5, 2.5)["encounter_id"]) == ["b"]
    csv = pd.read_csv(io.StringIO(inpatients.as_csv(stays)))
    assert list(csv.columns) == [*inpatients.LIST_COLUMNS, "reasons"]
    assert csv["reasons"].iloc[0] == "+ Known heart failure; - Age 54"


def test_an_empty_lakehouse_lists_nothing(tmp_path):
    worklist = inpatients.load(str(tmp_path / "none"), {})
    assert worklist.delivery_day is None and worklist.stays.empty


def test_reidentification_settings_are_read_and_checked():
    assert ReidentificationSettings.from_environment({}) == ReidentificationSettings()
    found = ReidentificationSettings.from_environment({
        settings.REIDENTIFICATION: "ON", settings.REIDENTIFICATION_ROLES: "care-team, case-managers",
        settings.WORKLIST_USER_HEADER: "X-Auth-Request-Email"})
    assert (found.enabled, found.allowed_roles, found.user_header) == (
        True, ("care-team", "case-managers"), "X-Auth-Request-Email")
    with pytest.raises(ValueError, match="HEALTHCARE_DATAOPS_REIDENTIFICATION='yes' is neither 'on' nor 'off'"):
        ReidentificationSettings.from_environment({settings.REIDENTIFICATION: "yes"})


def test_lookups_are_refused_off_or_unsigned_and_every_attempt_on_is_audited(tmp_path):
    key = keys.key_bytes(keys.DEVELOPMENT_KEY)
    patients = str(tmp_path / "bronze" / "ehr_patients")
    write_deltalake(patients, pa.table({"id": ["MRN-1", "MRN-2"]}))
    audit = str(tmp_path / "audit")

    def reidentifier(enabled: bool) -> Reidentifier:
        return Reidentifier(ReidentificationSettings(enabled=enabled), bronze_patients_uri=patients,
                            audit_uri=audit, key=key, storage_options={})

    wanted = pseudonym_of("MRN-2", key, "patient")
    nurse = {"X-Forwarded-Email": "a@b", "X-Forwarded-Groups": "care-team"}
    assert reidentifier(False).lookup(wanted, nurse).mrn is None
    on = reidentifier(True)
    assert on.lookup(wanted, {}).message.startswith("Not shown: not signed in")
    assert on.lookup(wanted, nurse).mrn == "MRN-2"
    assert on.lookup("0" * 64, nurse).mrn is None
    rows = DeltaTable(audit).to_pandas().sort_values("looked_up_at")
    assert list(zip(rows["user"], rows["outcome"], strict=True)) == [
        ("(anonymous)", "refused: not signed in"), ("a@b", "found"), ("a@b", "not found")]

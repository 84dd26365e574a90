"""patient_risk_scores through Dagster on generated feeds: open stays, scored by the champion."""

from __future__ import annotations

import csv

import pytest
from deltalake import DeltaTable

from healthcare_dataops.cli import main as cli
from healthcare_dataops.defs.model.risk_model import risk_model
from healthcare_dataops.defs.scores.patient_risk_scores import patient_risk_scores
from healthcare_dataops.privacy import keys, pseudonym_of
from healthcare_dataops_tests.dagster_helpers import (
    lakehouse_assets,
    materialize_days,
    metadata_of,
    read_table,
)

FIRST_DAY, LAST_DAY = "2026-01-01", "2026-01-05"


def _open_stays_delivered(landing, day: str) -> set[str]:
    """Inpatient encounters the day's EHR export carries with an empty STOP: still in hospital."""
    key = keys.key_bytes(keys.DEVELOPMENT_KEY)
    [export] = (landing / "ehr" / day).glob("*encounters*.csv")
    with export.open(newline="", encoding="utf-8") as handle:
        return {pseudonym_of(row["Id"], key, "encounter") for row in csv.DictReader(handle)
                if row["ENCOUNTERCLASS"] == "inpatient" and not row["STOP"]}


@pytest.fixture(scope="module")
def lifecycle(tmp_path_factory):
    root = tmp_path_factory.mktemp("scores")
    landing, lakehouse = root / "landing", root / "lakehouse"
    cli(["generate", "--landing", str(landing), "--side", str(root / "side"), "--patients", "150",
         "--days", "5", "--start-date", FIRST_DAY, "--quiet"])
    days = {"landing": landing, "lakehouse": lakehouse}
    assert materialize_days(lakehouse_assets(), FIRST_DAY, LAST_DAY, **days).success

    def run(assets, **config):
        run_config = {"ops": {"risk_model": {"config": config}}} if config else None
        return materialize_days(assets, FIRST_DAY, LAST_DAY, **days, run_config=run_config, raise_on_error=False)

    before_any_champion = run([patient_risk_scores])
    # Five days of feeds label none of their own admissions yet: train on the history the first
    # export brought, force that version to champion, then register one that cannot clear a
    # floor of 1.0.
    history = {"min_labelled_rows": 20, "require_lab_results": False, "train_on_history": True}
    forced = run([risk_model], force_promotion=True, **history)
    newer = run([risk_model], min_auroc=1.0, **history)
    scored = run([patient_risk_scores])
    return locals()


def test_scoring_refuses_clearly_without_a_champion(lifecycle):
    result = lifecycle["before_any_champion"]
    assert not result.success
    [failure] = [e for e in result.all_events if e.is_step_failure]
    message = failure.step_failure_data.user_failure_data.description
    assert "no version of the registered model 'readmission_risk' has the alias 'champion' yet" in message


def test_every_stay_open_at_the_end_of_the_day_is_scored(lifecycle):
    assert lifecycle["scored"].success
    scores = read_table(lifecycle["lakehouse"], "gold", "patient_risk_scores").to_pylist()
    expected = _open_stays_delivered(lifecycle["landing"], LAST_DAY)
    assert expected, "the generated feeds should have patients in hospital on the last day"
    assert {row["encounter_id"] for row in scores} == expected
    assert all(0.0 <= row["risk"] <= 1.0 and row["as_of"] >= row["admitted_at"] for row in scores)
    assert {str(row["delivery_date"]) for row in scores} == {LAST_DAY}
    assert len(scores[0]["patient_id"]) == 64  # a pseudonym, not the source's id


def test_scores_come_from_the_champion_not_the_newest_version(lifecycle):
    forced = metadata_of(lifecycle["forced"], "risk_model")
    newer = metadata_of(lifecycle["newer"], "risk_model")
    assert (forced["model_version"], forced["alias"]) == ("1", "champion")
    assert (newer["model_version"], newer["alias"]) == ("2", "challenger")
    scores = read_table(lifecycle["lakehouse"], "gold", "patient_risk_scores").to_pylist()
    assert {(row["model_name"], row["model_version"]) for row in scores} == {("readmission_risk", "1")}
    assert metadata_of(lifecycle["scored"], "patient_risk_scores", LAST_DAY)["model_version"] == "1"


def test_scores_tell_a_catalog_their_table_uri_name_and_columns(lifecycle):
    uri = lifecycle["lakehouse"] / "gold" / "patient_risk_scores"
    for day in ("2026-01-02", LAST_DAY):  # every day of the range run, scored or not
        metadata = metadata_of(lifecycle["scored"], "patient_risk_scores", day)
        assert metadata["dagster/uri"] == str(uri)
        assert metadata["dagster/table_name"] == "gold.patient_risk_scores"
        columns = [c.name for c in metadata["dagster/column_schema"].columns]
        assert columns == DeltaTable(str(uri)).schema().to_arrow().names

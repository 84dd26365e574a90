"""The status readers on a lakehouse run through the whole graph on a persistent instance: each
figure equals what its source holds (the materialization's metadata, MLflow, the run records)."""

from __future__ import annotations

import time

import dagster as dg
import pytest

from healthcare_dataops.pipeline_status import catalog, checks, feeds, model, runs
from healthcare_dataops_tests.dagster_helpers import mlflow_resource


@pytest.fixture(scope="module")
def instance(scored_lakehouse):
    with dg.DagsterInstance.from_config(str(scored_lakehouse.dagster_home)) as opened:
        yield opened


def test_the_champion_is_read_from_mlflow(scored_lakehouse):
    client = mlflow_resource(scored_lakehouse.lakehouse).activate()
    found = model.champion_status(client)
    metrics = client.get_run(client.get_model_version("readmission_risk", "1").run_id).data.metrics
    assert found.version == "1"
    assert (found.holdout_auroc, found.holdout_calibration_error) == (
        metrics.get("holdout_auroc"), metrics["holdout_calibration_error"])
    assert (found.holdout_auroc_ci_low, found.holdout_auroc_ci_high) == (
        metrics["holdout_auroc_ci_low"], metrics["holdout_auroc_ci_high"])
    assert found.unseen_patients_auroc == metrics.get("holdout_unseen_patients_auroc")
    assert {b.name: (b.auroc, b.margin) for b in found.baselines} == {
        name: (metrics[f"baseline_{name.lower()}_auroc"], metrics.get(f"auroc_minus_{name.lower()}"))
        for name in ("LACE", "HOSPITAL")}
    # The card the registry holds: cohort rules, intervals, baselines and the last drift decision.
    card = client.get_model_version("readmission_risk", "1").description
    assert found.model_card == card
    for section in ("## Cohort and label", "## Holdout metrics", "## Clinical baselines", "## Last drift decision"):
        assert section in card
    assert found.mlflow_url.endswith("/#/models/readmission_risk/versions/1")


def test_drift_and_scores_come_from_their_newest_materializations(scored_lakehouse, instance):
    drift = model.drift_status(instance)
    assert drift.champion_version == "1" and drift.delivery_day == scored_lakehouse.last_day
    assert drift.status and drift.dagster_url.endswith("/assets/feature_drift_report")
    # The decision with its reasons, as the report wrote it and the model card repeats it.
    assert drift.retrain_recommended is drift.status.startswith("Retrain")
    assert drift.decision.startswith(("**Retrain.**", "**No retraining.**")) and "\n- " in drift.decision
    scores = model.scores_status(instance)
    assert scores.delivery_day == scored_lakehouse.last_day and scores.model_version == "1" and scores.stays > 0


def test_each_feed_table_has_its_delivery_days_counts(scored_lakehouse, instance):
    project = catalog.project_catalog()
    assert project.sources == ("ehr", "fhir", "labs", "wearables")
    statuses = {s.table.name: s for s in feeds.table_statuses(instance, project)}
    patients = statuses["ehr_patients"]
    assert [d.day for d in patients.days] == [scored_lakehouse.first_day, scored_lakehouse.last_day]
    assert patients.days[0].rows_written > 0 and patients.freshness_lag_seconds(time.time()) < 3600
    summary = {f.source: f for f in feeds.feed_statuses(list(statuses.values()))}
    assert summary["labs"].newest_day == scored_lakehouse.last_day and summary["labs"].rows_written > 0


def test_checks_and_runs_are_counted(instance):
    project = catalog.project_catalog()
    found = {f"{c.asset}:{c.name}": c for c in checks.check_statuses(instance, project)}
    assert len(found) == len(project.checks)
    # The lakehouse ran the checks of patients only (and the drift report's three, which it
    # always evaluates); the others have no result yet.
    evaluated = {k: (c.blocking, c.passed) for k, c in found.items() if c.passed is not None}
    assert {k: v for k, v in evaluated.items() if k.startswith("patients:")} == {
        "patients:critical_expectations": (True, True), "patients:conservation": (True, True),
        "patients:quality_warnings": (False, True)}
    assert {k for k, (blocking, _) in evaluated.items() if not blocking and k.startswith("feature_drift_report:")} == {
        "feature_drift_report:features_have_not_drifted", "feature_drift_report:live_auroc_holds",
        "feature_drift_report:scored_stays_are_steady"}
    assert len(evaluated) == 6
    by_job = {j.job: j for j in runs.job_runs(instance, project.jobs)}
    ephemeral = by_job["__ephemeral_asset_job__"]
    assert (ephemeral.succeeded, ephemeral.failed) == (2, 0) and ephemeral.last_duration_seconds > 0
    assert by_job["daily_pipeline_job"].succeeded == 0

"""risk_model through Dagster on a gold table with a known risk: gating, lineage, tracking,
intervals, baselines and the model card."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import pytest
from mlflow import MlflowClient

from healthcare_dataops.defs.model.risk_model import risk_model
from healthcare_dataops.ml.dataset import MODEL_INPUTS
from healthcare_dataops_tests.dagster_helpers import metadata_of, model_resources
from healthcare_dataops_tests.ml import synthetic_features

DAY = "2026-01-14"
# One stump: a deliberately worse model. The floor is lowered and LACE not required so that the
# comparison with the champion, not the floor or the baseline, is what stops it.
WEAK = {"n_estimators": 1, "max_depth": 1, "min_auroc": 0.5, "require_beat_lace": False}


def _train(root, **config) -> dg.ExecuteInProcessResult:
    config.setdefault("generator_truth_file", str(root / "readmission_truth.csv"))
    return dg.materialize(
        [risk_model], resources=model_resources(root),
        run_config={"ops": {"risk_model": {"config": config}}}, raise_on_error=False,
    )


@pytest.fixture(scope="module")
def lifecycle(tmp_path_factory):
    """Four versions in order: a good one, a worse one, the worse one forced, one under a high floor."""
    root = tmp_path_factory.mktemp("risk_model")
    frame, truth = synthetic_features.build(1600)
    synthetic_features.write(root / "lakehouse", frame)
    truth.to_csv(root / "readmission_truth.csv", index=False)
    results = [_train(root)]
    synthetic_features.write(root / "lakehouse", frame)  # the same rows, Delta version 1
    results += [_train(root, **WEAK), _train(root, **WEAK, force_promotion=True), _train(root, min_auroc=0.99)]
    assert all(r.success for r in results)
    client = MlflowClient(tracking_uri=f"sqlite:///{root}/mlflow/mlflow.db")
    return [metadata_of(r, "risk_model") for r in results], results, client


def test_the_first_version_above_the_floor_becomes_champion(lifecycle):
    first = lifecycle[0][0]
    assert (first["model_version"], first["alias"], first["promoted"]) == ("1", "champion", True)
    assert first["holdout_auroc"] >= 0.65
    assert "there is no champion yet" in first["decision"]


def test_a_worse_model_stays_challenger(lifecycle):
    metadata, _, _ = lifecycle
    worse = metadata[1]
    assert worse["alias"] == "challenger" and worse["promoted"] is False
    assert worse["champion_before"] == "1"
    # Both scored on the same newest holdout, and the stump loses by more than the tolerance,
    # significantly in the paired comparison on the same rows.
    assert worse["champion_holdout_auroc"] == pytest.approx(metadata[0]["holdout_auroc"])
    assert worse["holdout_auroc"] < worse["champion_holdout_auroc"] - 0.01
    assert worse["auroc_minus_champion_ci_high"] < 0 < worse["holdout_auroc"] - 0.5
    assert worse["auroc_minus_champion"] == pytest.approx(worse["holdout_auroc"] - worse["champion_holdout_auroc"])
    assert "loses to the champion" in worse["decision"] and "paired bootstrap interval" in worse["decision"]


def test_forcing_promotes_the_worse_model(lifecycle):
    metadata, _, _ = lifecycle
    forced = metadata[2]
    assert (forced["model_version"], forced["alias"]) == ("3", "champion")
    assert "forced" in forced["decision"]


def test_a_version_below_the_floor_stays_challenger_and_aliases_follow(lifecycle):
    metadata, _, client = lifecycle
    assert metadata[3]["alias"] == "challenger" and "below the floor 0.9900" in metadata[3]["decision"]
    assert str(client.get_model_version_by_alias("readmission_risk", "champion").version) == "3"
    assert str(client.get_model_version_by_alias("readmission_risk", "challenger").version) == "4"


def test_every_version_carries_its_lineage(lifecycle):
    metadata, results, client = lifecycle
    for expected_delta_version, meta, result in zip((0, 1), metadata, results, strict=False):
        version = client.get_model_version("readmission_risk", meta["model_version"])
        run = client.get_run(version.run_id)
        for tags in (version.tags, run.data.tags):
            assert tags["lineage.patient_features_delta_version"] == str(expected_delta_version)
            assert tags["lineage.dagster_run_id"] == result.run_id
            assert tags["lineage.code_version"] == meta["code_version"] and tags["lineage.code_version"]
        assert run.data.tags["dagster_run_id"] == result.run_id
        assert meta["patient_features_delta_version"] == expected_delta_version
        assert version.tags["gate.alias"] == meta["alias"]


def test_the_run_records_metrics_subgroups_plots_and_a_signed_model(lifecycle):
    metadata, _, client = lifecycle
    version = client.get_model_version("readmission_risk", "1")
    run = client.get_run(version.run_id)
    for name in ("holdout_auroc", "holdout_auprc", "holdout_brier", "holdout_calibration_error",
                 "holdout_calibration_slope", "holdout_auroc_sex_F", "holdout_auroc_sex_M", "best_possible_auroc",
                 "baseline_lace_auroc", "baseline_hospital_auroc", "auroc_minus_lace_ci_low"):
        assert name in run.data.metrics, name
    for name in ("auroc", "auprc", "calibration_slope"):  # each with its bootstrap interval
        low, high = run.data.metrics[f"holdout_{name}_ci_low"], run.data.metrics[f"holdout_{name}_ci_high"]
        assert low < run.data.metrics[f"holdout_{name}"] < high, name
    assert run.data.metrics["holdout_auroc"] == pytest.approx(metadata[0]["holdout_auroc"])
    # The model beats both clinical baselines on the same holdout.
    assert run.data.metrics["holdout_auroc"] > run.data.metrics["baseline_lace_auroc"]
    artifacts = {a.path for folder in ("plots", "evaluation") for a in client.list_artifacts(run.info.run_id, folder)}
    assert artifacts == {"plots/roc_curve.png", "plots/calibration_curve.png", "plots/feature_importance.png",
                         "evaluation/subgroup_metrics.json"}
    # The model card, on the run and on the registered version, which the registry's UI shows.
    card = client.download_artifacts(run.info.run_id, "model_card.md")
    text = Path(card).read_text()
    assert text == version.description
    for section in ("## Cohort and label", "## Split", "## Holdout metrics", "## Clinical baselines on the same "
                    "holdout", "| LACE |", "| HOSPITAL |", "## Subgroups", "## Last drift decision"):
        assert section in text, section
    import mlflow

    info = mlflow.models.get_model_info(f"models:/readmission_risk/{version.version}")
    assert tuple(info.signature.inputs.input_names()) == MODEL_INPUTS
    assert "data:image/png;base64," in metadata[0]["summary"]
    assert metadata[0]["mlflow_run"].endswith(f"/runs/{run.info.run_id}")


def test_the_model_comes_close_to_the_best_possible_auroc(lifecycle):
    first = lifecycle[0][0]
    # The known risk scored on the same holdout rows is the ceiling; 1600 rows leave noise.
    assert first["best_possible_auroc"] >= first["holdout_auroc"] - 0.005
    assert first["auroc_gap_to_best_possible"] < 0.06


def test_too_few_labelled_admissions_fail_with_a_clear_message(tmp_path):
    frame, _ = synthetic_features.build(60)
    synthetic_features.write(tmp_path / "lakehouse", frame)
    result = _train(tmp_path, min_labelled_rows=500)
    assert not result.success
    [failure] = [e for e in result.all_events if e.is_step_failure]
    assert "has 60 admissions with a complete 30-day label" in str(failure.step_failure_data.error.message)


def test_lineage_leads_back_to_exactly_the_training_rows(lifecycle):
    from healthcare_dataops.ml.lineage import training_rows

    metadata, _, client = lifecycle
    version = client.get_model_version("readmission_risk", "2")
    rows = training_rows(client, version, {})
    oldest_first = synthetic_features.build(1600)[0].sort_values("discharged_at")["encounter_id"]
    assert list(rows["encounter_id"]) == list(oldest_first[: metadata[1]["train_rows"]])

"""feature_drift_report through Dagster: no champion, a steady population, a drifted one."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from deltalake import write_deltalake
from mlflow import MlflowClient

from healthcare_dataops.ml import registry, scoring
from healthcare_dataops.ml.dataset import monitored_rows
from healthcare_dataops.ml.evaluation import auroc
from healthcare_dataops.ml.training import predict_risk
from healthcare_dataops.model_health.drift import current_window
from healthcare_dataops_tests.defs.monitoring import lakehouse_with_champion as lake
from healthcare_dataops_tests.ml import synthetic_features
from healthcare_dataops_tests.model_health.drifted_features import DRIFTED, drift_newest

STEADY_DAY = "2026-01-20"
DRIFT_RANGE = ("2026-01-21", "2026-01-23")
SENSOR_KEYS = {"retrain_recommended", "dataset_drift", "drift_score", "drift_threshold", "champion_version",
               "status"}


def _write_scores(root: Path, frame, version: str) -> None:
    """The champion's scores of the newest 300 admissions, and another version's of the same."""
    stays = frame.tail(300).assign(  # the scores table keeps microseconds, the synthetic rows have more
        admitted_at=lambda f: f["admitted_at"].dt.floor("us"), as_of=lambda f: f["discharged_at"].dt.floor("us"))
    champion = registry.load_version("readmission_risk", version)
    for loaded in (champion, registry.LoadedModel("readmission_risk", "99", champion.model)):
        table = scoring.score(loaded, stays, dt.date(2026, 1, 19), dt.datetime.now(dt.UTC))
        if loaded.version == "99":  # an older version that ranked them backwards
            table = table.set_column(4, "risk", scoring.pa.array(1 - table.column("risk").to_numpy()))
        write_deltalake(str(root / "lakehouse" / "gold" / "patient_risk_scores"), table, mode="append",
                        partition_by=["delivery_date"])


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("drift_report")
    frame, _ = synthetic_features.build(1600)
    frame.loc[frame.index[-20:], "label_complete"] = False  # the newest 30-day windows are still open
    lake.write_features(root, frame)
    no_champion = lake.report(root, lake.TRAINED_ON)
    trained = lake.train_champion(root)
    _write_scores(root, frame, trained["model_version"])
    steady = lake.report(root, STEADY_DAY)
    lake.write_features(root, drift_newest(frame))
    drifted = lake.report(root, *DRIFT_RANGE, max_rows_per_window=500)
    return {"root": root, "frame": frame, "trained": trained, "no_champion": no_champion,
            "steady": steady, "drifted": drifted}


def _client(root: Path) -> MlflowClient:
    return MlflowClient(tracking_uri=f"sqlite:///{root}/mlflow/mlflow.db")


def test_without_a_champion_it_materializes_and_says_so(runs):
    metadata = lake.report_metadata(runs["no_champion"])
    assert metadata["dataset_drift"] is False and metadata["champion_version"] is None
    assert metadata["status"] == "no champion model yet: nothing to compare against"
    assert not (runs["root"] / "lakehouse" / "reports" / "feature_drift" / f"{lake.TRAINED_ON}.html").exists()


def test_a_steady_population_has_no_dataset_drift(runs):
    root, frame, trained = runs["root"], runs["frame"], runs["trained"]
    metadata = lake.report_metadata(runs["steady"])
    assert metadata["delivery_day"] == STEADY_DAY
    assert metadata.keys() >= SENSOR_KEYS
    assert metadata["dataset_drift"] is False and metadata["drift_score"] < metadata["drift_threshold"] == 0.2
    assert metadata["retrain_recommended"] is False and metadata["performance_drift"] is False
    assert metadata["champion_version"] == trained["model_version"] == "1"
    assert metadata["status"].startswith("No retraining: No feature drift: ")
    # The reference is the champion's population when it trained (its training rows, those
    # embargoed, its holdout and the newest, label still open); the window the newest 30 days.
    assert metadata["reference_rows"] == metadata["reference_rows_before_sampling"] == len(monitored_rows(frame))
    assert metadata["reference_rows"] > trained["train_rows"]
    assert metadata["current_rows"] == len(current_window(frame, 30))
    assert metadata["reference_delta_version"] == metadata["patient_features_delta_version"] == 0
    report = root / "lakehouse" / "reports" / "feature_drift" / f"{STEADY_DAY}.html"
    assert metadata["report_path"] == str(report) and "<html" in report.read_text()[:2000].lower()
    run_id = _client(root).get_model_version("readmission_risk", "1").run_id
    logged = {a.path for a in _client(root).list_artifacts(run_id, "drift_reports")}
    assert f"drift_reports/{STEADY_DAY}.html" in logged


def test_drifted_newest_admissions_show_dataset_drift_on_the_ranges_last_day(runs):
    # One report for the run over three days, standing for the last of them.
    [event] = list(runs["drifted"].get_asset_materialization_events())
    assert event.materialization.partition is None
    last = lake.report_metadata(runs["drifted"])
    assert last["delivery_day"] == "2026-01-23"
    assert last["dataset_drift"] is True and last["drift_score"] >= 0.2 and last["retrain_recommended"] is True
    assert last["status"].startswith("Retrain: Feature drift: ")
    header, _, *rows = [[cell.strip() for cell in line.strip("|").split("|")]
                        for line in last["drifted_columns"].splitlines()]
    drifted = header.index("drifted")
    assert {row[0] for row in rows if row[drifted] == "yes"} >= set(DRIFTED)
    # Sampled to 500 of the training rows; the drifted window is smaller than that.
    assert last["reference_rows"] == 500 < last["reference_rows_before_sampling"]
    assert last["current_rows"] == last["current_rows_before_sampling"]
    assert (last["reference_delta_version"], last["patient_features_delta_version"]) == (0, 1)
    assert (runs["root"] / "lakehouse" / "reports" / "feature_drift" / "2026-01-23.html").is_file()
    assert not (runs["root"] / "lakehouse" / "reports" / "feature_drift" / "2026-01-21.html").exists()


def test_live_auroc_is_the_champions_on_scored_admissions_with_labels(runs):
    frame = runs["frame"]
    metadata = lake.report_metadata(runs["steady"])
    labelled = frame.tail(300)[frame.tail(300)["label_complete"]]
    champion = registry.load_version("readmission_risk", "1").model
    expected = auroc(labelled["readmitted_30d"].to_numpy(), predict_risk(champion, labelled).to_numpy())
    assert metadata["live_labelled_rows"] == 280
    assert metadata["live_auroc"] == pytest.approx(expected, abs=1e-6)
    assert metadata["live_auroc_ci_low"] < metadata["live_auroc"] < metadata["live_auroc_ci_high"]
    assert f"live AUROC {expected:.3f}" in metadata["status"]


def test_the_last_decision_and_its_reasons_are_on_the_champions_model_card(runs):
    card = _client(runs["root"]).get_model_version("readmission_risk", "1").description
    # The drifted report ran last: its decision replaced the steady one's.
    decision = card.split("## Last drift decision")[1]
    assert decision.count("## Last drift decision") == 0 and card.count("## Last drift decision") == 1
    assert "**Retrain.** Feature drift report for delivery day 2026-01-23, champion v1:" in decision
    assert "- Feature drift: " in decision and "- Performance" in decision and "- Scored open stays" in decision
    assert "## Holdout metrics" in card


def test_no_row_level_data_reaches_the_metadata(runs):
    frame = runs["frame"]
    ids = set(frame["encounter_id"]) | set(frame["patient_id"])
    for result in (runs["steady"], runs["drifted"]):
        text = " ".join(map(str, lake.report_metadata(result).values()))
        assert not any(i in text for i in ids)

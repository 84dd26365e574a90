"""feature_drift_sensor on a real instance that holds real feature_drift_report materializations."""

from __future__ import annotations

import datetime as dt
import json
import time

import dagster as dg
import pytest

from healthcare_dataops.defs.model.retrain_job import retrain_job
from healthcare_dataops.defs.model.risk_model import risk_model
from healthcare_dataops.defs.monitoring.cooldown import (
    RETRAIN_COOLDOWN_HOURS,
    retrain_cooldown,
)
from healthcare_dataops.defs.monitoring.feature_drift_report import feature_drift_report
from healthcare_dataops.defs.monitoring.feature_drift_sensor import (
    DRIFT_SCORE_TAG,
    drift_retrain_requests,
    feature_drift_sensor,
)
from healthcare_dataops.defs.scores.patient_risk_scores import patient_risk_scores
from healthcare_dataops.lib.partitions import delivery_day_partitions
from healthcare_dataops.resources import SparkResource
from healthcare_dataops_tests.dagster_helpers import model_resources
from healthcare_dataops_tests.defs.monitoring import lakehouse_with_champion as lake
from healthcare_dataops_tests.ml import synthetic_features
from healthcare_dataops_tests.model_health.drifted_features import drift_newest


@pytest.fixture(scope="module")
def lakehouse(tmp_path_factory):
    """A champion trained on a steady table; the table then drifts (Delta version 1)."""
    root = tmp_path_factory.mktemp("drift_sensor")
    frame, _ = synthetic_features.build(1600)
    lake.write_features(root, frame)
    lake.train_champion(root)
    return root, frame


@pytest.fixture(scope="module")
def steady_instance(lakehouse):
    instance = dg.DagsterInstance.ephemeral()
    lake.report(lakehouse[0], "2026-01-20", instance=instance)
    return instance


@pytest.fixture(scope="module")
def drift_instance(lakehouse, steady_instance):
    root, frame = lakehouse
    lake.write_features(root, drift_newest(frame))
    instance = dg.DagsterInstance.ephemeral()
    lake.report(root, "2026-01-19", "2026-01-21", instance=instance)
    return instance


@pytest.fixture(scope="module")
def defs(lakehouse):
    resources = {**model_resources(lakehouse[0]), "spark": SparkResource()}
    return dg.Definitions(assets=[risk_model, patient_risk_scores, feature_drift_report], jobs=[retrain_job],
                          sensors=[feature_drift_sensor], resources=resources)


def _tick(instance, defs, cursor=None):
    context = dg.build_sensor_context(instance=instance, cursor=cursor, definitions=defs)
    started = time.perf_counter()
    data = feature_drift_sensor.evaluate_tick(context)
    return data, time.perf_counter() - started


def _latest(instance) -> dg.EventLogRecord:
    return instance.fetch_materializations(dg.AssetKey("feature_drift_report"), limit=1).records[0]


def _skip(data) -> str:
    assert not data.run_requests
    return data.skip_message


def test_without_a_report_it_skips(defs):
    data, _ = _tick(dg.DagsterInstance.ephemeral(), defs)
    assert _skip(data) == "No feature_drift_report has been materialized yet."


def test_no_drift_skips_with_what_it_saw_and_handles_the_report_once(steady_instance, defs):
    latest = _latest(steady_instance)
    data, _ = _tick(steady_instance, defs)
    assert _skip(data).startswith(
        f"No retraining asked by feature_drift_report of 2026-01-20 (storage id {latest.storage_id}): "
        "No retraining: No feature drift")
    assert "< 0.2 (each moved feature's importance" in data.skip_message
    assert json.loads(data.cursor) == {"handled_storage_id": latest.storage_id}
    again, _ = _tick(steady_instance, defs, data.cursor)
    assert _skip(again).startswith("Already handled the latest report") and again.cursor == data.cursor


def test_drift_requests_one_retraining_of_the_reports_day(drift_instance, defs):
    latest = _latest(drift_instance)
    data, seconds = _tick(drift_instance, defs)
    [request] = data.run_requests
    # A range run's report is its last day's: that is the latest event, and the day retrained.
    assert (request.run_key, request.partition_key) == (str(latest.storage_id), "2026-01-21")
    score = latest.asset_materialization.metadata["drift_score"].value
    assert request.tags[DRIFT_SCORE_TAG] == f"{score:.4f}" and score >= 0.2
    job = defs.resolve_job_def("retrain_job")
    assert feature_drift_sensor.job_name == "retrain_job"
    assert job.asset_layer.executable_asset_keys == {dg.AssetKey("risk_model"), dg.AssetKey("patient_risk_scores")}
    assert job.partitions_def == delivery_day_partitions
    assert json.loads(data.cursor)["handled_storage_id"] == latest.storage_id
    assert seconds < 1.0, f"a tick must only read the instance; it took {seconds:.2f} s"


def test_the_same_drift_event_retrains_once(drift_instance, defs):
    first, _ = _tick(drift_instance, defs)
    second, _ = _tick(drift_instance, defs, first.cursor)
    assert len(first.run_requests) == 1 and _skip(second).startswith("Already handled")
    # Even with the cursor lost the run key is the same, and Dagster launches a run key once.
    lost, _ = _tick(drift_instance, defs)
    assert [r.run_key for r in lost.run_requests] == [r.run_key for r in first.run_requests]


def test_a_new_drift_event_waits_for_the_cool_down(lakehouse, drift_instance, defs, monkeypatch):
    instance = dg.DagsterInstance.ephemeral()
    lake.report(lakehouse[0], "2026-01-22", instance=instance)
    first, _ = _tick(instance, defs)
    lake.report(lakehouse[0], "2026-01-23", instance=instance)  # drifted again, a new event
    monkeypatch.setenv(RETRAIN_COOLDOWN_HOURS, "6")
    cooling, _ = _tick(instance, defs, first.cursor)
    requested_at = dt.datetime.fromisoformat(json.loads(first.cursor)["last_request_at"])
    until = (requested_at + dt.timedelta(hours=6)).isoformat(timespec="seconds")
    assert _skip(cooling).endswith(f"cooling down until {until} after the last request.")
    assert cooling.cursor == first.cursor  # unchanged: the event retrains once the cool-down is over
    monkeypatch.setenv(RETRAIN_COOLDOWN_HOURS, "0")
    after, _ = _tick(instance, defs, first.cursor)
    [request] = after.run_requests
    assert request.run_key == str(_latest(instance).storage_id) != first.run_requests[0].run_key
    assert request.partition_key == "2026-01-23"


def test_it_runs_by_default_and_the_cool_down_comes_from_the_environment(monkeypatch):
    assert feature_drift_sensor.default_status == dg.DefaultSensorStatus.RUNNING
    monkeypatch.delenv(RETRAIN_COOLDOWN_HOURS, raising=False)
    assert retrain_cooldown() == dt.timedelta(hours=24)
    monkeypatch.setenv(RETRAIN_COOLDOWN_HOURS, "0.5")
    assert retrain_cooldown() == dt.timedelta(minutes=30)
    for bad in ("soon", "-1", "inf"):
        monkeypatch.setenv(RETRAIN_COOLDOWN_HOURS, bad)
        with pytest.raises(ValueError, match=RETRAIN_COOLDOWN_HOURS):
            retrain_cooldown()


# Reports recorded straight into an instance, with the metadata feature_drift_report writes:
# what the sensor reads of them, without training a champion for each case.
def _record(instance, day: str, drift: bool) -> int:
    score = 0.31 if drift else 0.12
    instance.report_runless_asset_event(dg.AssetMaterialization(
        "feature_drift_report",
        metadata={"delivery_day": day, "retrain_recommended": drift, "dataset_drift": drift, "drift_score": score,
                  "drift_threshold": 0.2, "status": f"{'drift' if drift else 'no drift'}: score {score}"}))
    return _latest(instance).storage_id


@pytest.fixture
def light_defs(tmp_path):
    resources = {**model_resources(tmp_path), "spark": SparkResource()}
    return dg.Definitions(assets=[risk_model, patient_risk_scores, feature_drift_report], jobs=[retrain_job],
                          sensors=[feature_drift_sensor], resources=resources)


def test_reports_that_arrive_between_two_ticks_each_retrain_once_in_order(light_defs, monkeypatch):
    """A daemon down for a while (or a slow tick) finds several reports: none is passed over."""
    monkeypatch.setenv(RETRAIN_COOLDOWN_HOURS, "0")
    instance = dg.DagsterInstance.ephemeral()
    first = _record(instance, "2026-02-01", drift=False)
    start, _ = _tick(instance, light_defs)
    assert json.loads(start.cursor) == {"handled_storage_id": first}
    drifted = [_record(instance, "2026-02-02", drift=True), _record(instance, "2026-02-03", drift=True)]
    _record(instance, "2026-02-04", drift=False)  # the newest says no drift: the two still retrain
    data, _ = _tick(instance, light_defs, start.cursor)
    assert [(r.run_key, r.partition_key) for r in data.run_requests] == [
        (str(drifted[0]), "2026-02-02"), (str(drifted[1]), "2026-02-03")]
    assert json.loads(data.cursor)["handled_storage_id"] == _latest(instance).storage_id
    again, _ = _tick(instance, light_defs, data.cursor)
    assert _skip(again).startswith("Already handled the latest report")


def test_the_cool_down_folds_waiting_drift_events_into_the_newest(light_defs, monkeypatch):
    monkeypatch.setenv(RETRAIN_COOLDOWN_HOURS, "6")
    instance = dg.DagsterInstance.ephemeral()
    first = _record(instance, "2026-02-01", drift=True)
    requested, _ = _tick(instance, light_defs)
    assert [r.run_key for r in requested.run_requests] == [str(first)]
    waiting = [_record(instance, "2026-02-02", drift=True), _record(instance, "2026-02-03", drift=False),
               _record(instance, "2026-02-04", drift=True)]
    cooling, _ = _tick(instance, light_defs, requested.cursor)
    assert "cooling down until" in _skip(cooling) and cooling.cursor == requested.cursor
    # Six hours and a second after the request, the cool-down is over: the clock is passed in.
    requested_at = dt.datetime.fromisoformat(json.loads(requested.cursor)["last_request_at"])
    with dg.build_sensor_context(instance=instance, cursor=requested.cursor, definitions=light_defs) as context:
        after = drift_retrain_requests(context, now=requested_at + dt.timedelta(hours=6, seconds=1))
    # One retraining, for the newest drifted report: it stands for the one before it.
    assert [(r.run_key, r.partition_key) for r in after.run_requests] == [(str(waiting[-1]), "2026-02-04")]
    assert json.loads(after.cursor)["handled_storage_id"] == waiting[-1]


def test_a_sensor_without_a_cursor_starts_at_the_newest_report_not_the_history(light_defs, monkeypatch):
    monkeypatch.setenv(RETRAIN_COOLDOWN_HOURS, "0")
    instance = dg.DagsterInstance.ephemeral()
    for day in ("2026-02-01", "2026-02-02"):
        _record(instance, day, drift=True)
    newest = _record(instance, "2026-02-03", drift=True)
    data, _ = _tick(instance, light_defs)
    assert [r.run_key for r in data.run_requests] == [str(newest)]


def test_the_tick_interval_comes_from_the_environment(monkeypatch):
    from healthcare_dataops.defs.monitoring.feature_drift_sensor import (
        drift_sensor_interval_seconds,
    )
    from healthcare_dataops.settings import DRIFT_SENSOR_INTERVAL_SECONDS

    assert feature_drift_sensor.minimum_interval_seconds == drift_sensor_interval_seconds()
    monkeypatch.delenv(DRIFT_SENSOR_INTERVAL_SECONDS, raising=False)
    assert drift_sensor_interval_seconds() == 60
    monkeypatch.setenv(DRIFT_SENSOR_INTERVAL_SECONDS, "2")
    assert drift_sensor_interval_seconds() == 2
    for bad in ("0", "1.5", "soon"):
        monkeypatch.setenv(DRIFT_SENSOR_INTERVAL_SECONDS, bad)
        with pytest.raises(ValueError, match=DRIFT_SENSOR_INTERVAL_SECONDS):
            drift_sensor_interval_seconds()

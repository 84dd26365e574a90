"""A run SIGKILLed in the middle of a write leaves every table readable at its previous
version, shows no partial commit, and a re-run of the day gives what a clean run gives.

Day 1 is materialized cleanly; day 2 runs as a user runs it, the ``dagster`` CLI in a process
of its own, and the test kills its whole process group the moment the target table holds a
data file its Delta log does not reference yet (or, for the model, the moment MLflow starts
writing the new model's artifacts). Each test then proves the kill came mid-write: the
orphaned file is still on disk, unreferenced.
"""

from __future__ import annotations

import shutil
import sqlite3
from dataclasses import dataclass
from pathlib import Path

import pytest
from deltalake import DeltaTable

from healthcare_dataops.cli import main as cli
from healthcare_dataops.defs.bronze.wearables import wearable_bronze
from healthcare_dataops.defs.model.risk_model import risk_model
from healthcare_dataops.defs.scores.patient_risk_scores import patient_risk_scores
from healthcare_dataops.defs.silver.wearables import wearable_readings_silver
from healthcare_dataops.ml import registry
from healthcare_dataops.resources import MlflowResource
from healthcare_dataops_tests.dagster_helpers import lakehouse_assets, materialize_days
from healthcare_dataops_tests.reliability import crash

pytestmark = pytest.mark.slow

DAY1, DAY2 = "2026-01-01", "2026-01-02"
# One or two days label only the history the first export brought: train on it, forced to champion.
MODEL_CONFIG = {"force_promotion": True, "min_labelled_rows": 20, "require_lab_results": False,
                "train_on_history": True}
MODEL_RUN_CONFIG = {"ops": {"risk_model": {"config": MODEL_CONFIG}}}
# Columns a re-run rightly changes: when bronze ingested a file, when a stay was scored.
VOLATILE = ("ingested_at", "scored_at")
WEARABLE_BRONZE = ["wearable_readings_raw", "wearable_enrollments_raw", "wearable_bronze_quarantine"]
NATURAL_KEYS = {
    "bronze/wearable_readings_raw": ("source_file", "source_record"),
    "bronze/wearable_enrollments_raw": ("source_file", "source_line"),
    "silver/wearable_readings": ("device_id", "measure", "measured_at"),
    "gold/patient_risk_scores": ("delivery_date", "encounter_id"),
}


@dataclass(frozen=True)
class World:
    landing: Path
    day1: Path  # lakehouse and MLflow store after a clean day 1, model v1 champion
    day2_data: Path  # ... and day 2's bronze, silver and gold features: no scores for it yet
    reference: Path  # ... and day 2's scores: what a clean run of both days gives


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> World:
    root = tmp_path_factory.mktemp("crash")
    landing = root / "landing"
    cli(["generate", "--landing", str(landing), "--side", str(root / "side"), "--patients", "60",
         "--days", "2", "--start-date", DAY1, "--quiet"])
    day1 = root / "day1"
    _run(lakehouse_assets(), DAY1, landing, day1)
    _run([risk_model, patient_risk_scores], DAY1, landing, day1, run_config=MODEL_RUN_CONFIG)
    day2_data = _copy(day1, root / "day2_data")
    _run(lakehouse_assets(), DAY2, landing, day2_data)
    reference = _copy(day2_data, root / "reference")
    _run([patient_risk_scores], DAY2, landing, reference)
    return World(landing, day1, day2_data, reference)


def _run(assets, day: str, landing: Path, root: Path, run_config: dict | None = None):
    result = materialize_days(assets, day, day, landing=landing, lakehouse=root / "lakehouse", run_config=run_config)
    assert result.success
    return result


def _copy(state: Path, to: Path, mlflow: bool = True) -> Path:
    """A copy of a lakehouse (and its MLflow store: its sqlite file names the artifacts of
    the original by absolute path, which stay where they are)."""
    shutil.copytree(state / "lakehouse", to / "lakehouse")
    if mlflow:
        shutil.copytree(state / "mlflow", to / "mlflow")
    return to


@dataclass
class Crash:
    root: Path  # the lakehouse and MLflow store the killed run wrote to
    before: dict[str, tuple[int, int]]  # every table's version and rows before it started
    watched: crash.WriteInProgress | crash.FilesAppear
    kill: crash.Kill


def _kill_mid_write(tmp_path: Path, landing: Path, prepare, select: list[str], watch,
                    run_config: dict | None = None, attempts: int = 3, partition: str | None = DAY2) -> Crash:
    """``prepare(root)`` lays out the state before the run; ``watch(root)`` says when to kill
    it. A run whose write completed before the watcher could act (a small write takes about
    a millisecond from its first file to its commit) is tried again on a fresh copy."""
    for attempt in range(1, attempts + 1):
        root = tmp_path / f"attempt{attempt}"
        prepare(root)
        before = crash.state(root / "lakehouse")
        watched = watch(root).arm()
        try:
            kill = crash.run_and_kill(crash.materialize_argv(select, partition, run_config),
                                      crash.cli_env(root, landing), root / "killed-run.log", watched)
        except crash.WriteNotCaught as missed:
            print(f"attempt {attempt}: {str(missed).splitlines()[0]}")
            continue
        assert kill.exit_code == -9, kill
        assert crash.group_gone(kill.pid), f"processes of the killed run survived it: {crash.group_members(kill.pid)}"
        if not watched.caught():
            print(f"attempt {attempt}: the write committed before the kill landed")
            continue
        print(f"attempt {attempt}: killed {select} {kill.seconds_after_start:.1f} s after its start: {kill.reason}")
        return Crash(root, before, watched, kill)
    pytest.fail(f"no kill landed mid-write in {attempts} attempts")


def _assert_unchanged(before: dict, after: dict, committed_before_the_kill: tuple[str, ...] = ()) -> None:
    """Every table opens; each is at its previous version with its previous rows, except
    tables the run finished writing before the kill, which show a whole newer commit."""
    assert set(after) == set(before)
    for table, (version, rows) in after.items():
        if table in committed_before_the_kill:
            assert version >= before[table][0], table
        else:
            assert (version, rows) == before[table], table


def _assert_like_reference(root: Path, reference: Path, tables: list[str]) -> None:
    for table in tables:
        # The scores keep their inputs, some of them means over hours (resting heart rate).
        inputs = table.endswith("patient_risk_scores")
        found = crash.frame(root / "lakehouse" / table, VOLATILE, round_doubles=inputs)
        expected = crash.frame(reference / "lakehouse" / table, VOLATILE, round_doubles=inputs)
        assert len(found) == len(expected), table
        assert found.equals(expected), table
        if table in NATURAL_KEYS:
            assert not found.duplicated(list(NATURAL_KEYS[table])).any(), table


def _assert_orphaned(killed: Crash) -> Path:
    orphans = killed.watched.orphans()
    assert orphans, f"the kill did not come mid-write: {killed.kill.reason}"
    print(f"data files the killed write left, referenced by no commit: {sorted(orphans)}")
    return killed.root


def test_bronze_write_killed_midway_leaves_the_previous_version_and_a_rerun_completes(world, tmp_path):
    killed = _kill_mid_write(
        tmp_path, world.landing, lambda root: _copy(world.day1, root), WEARABLE_BRONZE,
        lambda root: crash.WriteInProgress(root / "lakehouse" / "bronze" / "wearable_readings_raw"))

    root = _assert_orphaned(killed)
    _assert_unchanged(killed.before, crash.state(root / "lakehouse"))
    _run([wearable_bronze], DAY2, world.landing, root)
    _assert_like_reference(root, world.reference, [f"bronze/{t}" for t in WEARABLE_BRONZE])


def test_silver_merge_killed_midway_leaves_the_previous_version_and_a_rerun_completes(world, tmp_path):
    def day2_bronze(root: Path) -> None:
        # Day 1's lakehouse after day 2's bronze and device enrollments (which readings join
        # to) ran: Delta tables are independent, so it is assembled from two states' tables.
        _copy(world.day1, root)
        for table in ("bronze", "silver/device_enrollments", "silver/device_enrollments_quarantine"):
            shutil.rmtree(root / "lakehouse" / table)
            shutil.copytree(world.day2_data / "lakehouse" / table, root / "lakehouse" / table)

    killed = _kill_mid_write(
        tmp_path, world.landing, day2_bronze, ["wearable_readings", "wearable_readings_quarantine"],
        lambda root: crash.WriteInProgress(root / "lakehouse" / "silver" / "wearable_readings"))

    root = _assert_orphaned(killed)
    # The batch's quarantine rows are committed first, in a commit of their own.
    _assert_unchanged(killed.before, crash.state(root / "lakehouse"), ("silver/wearable_readings_quarantine",))
    _run([wearable_readings_silver], DAY2, world.landing, root)
    _assert_like_reference(root, world.reference, ["silver/wearable_readings", "silver/wearable_readings_quarantine"])


def test_risk_scores_write_killed_midway_leaves_the_previous_version_and_a_rerun_completes(world, tmp_path):
    killed = _kill_mid_write(
        tmp_path, world.landing, lambda root: _copy(world.day2_data, root), ["patient_risk_scores"],
        lambda root: crash.WriteInProgress(root / "lakehouse" / "gold" / "patient_risk_scores"))

    root = _assert_orphaned(killed)
    _assert_unchanged(killed.before, crash.state(root / "lakehouse"))
    _run([patient_risk_scores], DAY2, world.landing, root)
    _assert_like_reference(root, world.reference, ["gold/patient_risk_scores"])
    scores = DeltaTable(str(root / "lakehouse" / "gold" / "patient_risk_scores")).to_pandas()
    assert set(scores["delivery_date"].astype(str)) == {DAY1, DAY2}


def test_training_killed_while_mlflow_writes_the_model_keeps_the_champion_and_a_rerun_registers(world, tmp_path):
    def champion_v1(root: Path) -> None:
        # A store of this test's own, so that new artifacts land under it: v1 is the champion.
        _copy(world.day2_data, root, mlflow=False)
        _run([risk_model], DAY1, world.landing, root, run_config=MODEL_RUN_CONFIG)

    # risk_model is not partitioned: one model from the whole feature table.
    killed = _kill_mid_write(tmp_path, world.landing, champion_v1, ["risk_model"],
                             lambda root: crash.FilesAppear(root / "mlflow" / "artifacts" / "models"), MODEL_RUN_CONFIG,
                             partition=None)

    root = killed.root
    print(f"model artifacts written before the kill: {sorted(killed.watched.new())}")
    _assert_unchanged(killed.before, crash.state(root / "lakehouse"))
    with sqlite3.connect(root / "mlflow" / "mlflow.db") as db:  # a killed writer's journal rolls back
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    store = MlflowResource(tracking_uri=f"sqlite:///{root / 'mlflow' / 'mlflow.db'}",
                           artifact_root=str(root / "mlflow" / "artifacts"))
    client, name = store.activate(), store.registered_model_name
    assert [str(v.version) for v in client.search_model_versions(f"name='{name}'")] == ["1"]
    assert str(registry.champion_version(client, name).version) == "1"
    assert registry.load_champion(client, name).version == "1"  # its artifacts are whole
    runs = client.search_runs([client.get_experiment_by_name(store.experiment_name).experiment_id])
    print(f"MLflow runs after the kill: {[(r.info.run_id[:8], r.info.status) for r in runs]}")

    _run([risk_model], DAY2, world.landing, root, run_config=MODEL_RUN_CONFIG)
    client = store.activate()
    assert sorted(str(v.version) for v in client.search_model_versions(f"name='{name}'")) == ["1", "2"]
    assert registry.load_champion(client, name).version == "2"

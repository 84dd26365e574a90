"""A real ``dagster-daemon`` killed with SIGKILL while feature_drift_sensor is between creating
a retraining run and saving its cursor: after a restart every drift event has exactly one run.

The topology is production's (deploy/workspace.yaml): the code location's gRPC server runs on
its own and stays up, the daemon is killed and restarted beside it, all on one SQLite instance
whose queue launches nothing (``max_concurrent_runs: 0``), so requested runs stay QUEUED and
no retraining executes. Reports are runless materializations of ``feature_drift_report`` with
the metadata the asset writes: the sensor reads nothing else.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import pytest
from dagster._core.scheduler.instigation import InstigatorType, TickStatus

from healthcare_dataops.settings import (
    DATA_DIR,
    DRIFT_SENSOR_INTERVAL_SECONDS,
    RETRAIN_COOLDOWN_HOURS,
)
from healthcare_dataops_tests.conftest import REPO_ROOT
from healthcare_dataops_tests.loopback import free_port
from healthcare_dataops_tests.servers import Processes, wait_for

WORKSPACE = REPO_ROOT / "deploy" / "workspace.yaml"
SENSOR = "feature_drift_sensor"
RUN_KEY_TAG = "dagster/run_key"
SERVER_READY_TIMEOUT_S = 120
RUN_APPEARS_TIMEOUT_S = 90
CATCH_UP_TIMEOUT_S = 90
# Each try costs a daemon start and a tick or two (the daemon's sensor loop runs every 5 s).
MAX_KILL_TRIES = 6
POLL_S = 0.002
DAYS = [f"2026-03-{d:02d}" for d in range(1, 29)]

INSTANCE_YAML = """\
telemetry:
  enabled: false
# The queue holds every run: the sensor's requests are recorded, none is launched.
concurrency:
  runs:
    max_concurrent_runs: 0
"""


@dataclass
class Kill:
    report: int  # storage id of the drift report whose run triggered the kill
    run_status: str  # the run's status when the kill was sent
    tick_status: str | None  # the sensor's newest tick after the kill
    cursor_handled: int | None  # handled_storage_id in the sensor's saved cursor after the kill

    @property
    def mid_cursor(self) -> bool:
        """The run was in run storage, the saved cursor had not reached its report."""
        return self.cursor_handled is not None and self.cursor_handled < self.report


def _grpc_healthy(port: int, env: dict[str, str]) -> bool:
    return subprocess.run(["dagster", "api", "grpc-health-check", "-p", str(port)], env=env, check=False,
                          capture_output=True, timeout=30).returncode == 0


def _sensor_state(instance: dg.DagsterInstance):
    states = [s for s in instance.all_instigator_state(instigator_type=InstigatorType.SENSOR)
              if s.instigator_name == SENSOR]
    return states[0] if states else None


def _handled(instance: dg.DagsterInstance) -> int | None:
    state = _sensor_state(instance)
    cursor = state.instigator_data.cursor if state and state.instigator_data else None
    return json.loads(cursor).get("handled_storage_id") if cursor else None


def _newest_tick(instance: dg.DagsterInstance):
    state = _sensor_state(instance)
    if state is None:
        return None
    return next(iter(instance.get_ticks(state.instigator_origin_id, state.selector_id, limit=1)), None)


def _tick_after(instance: dg.DagsterInstance, tick_id: int) -> bool:
    """Whether a tick newer than ``tick_id`` has ended (skipped, requested runs, or failed)."""
    tick = _newest_tick(instance)
    return tick is not None and tick.tick_id > tick_id and tick.status != TickStatus.STARTED


def _record(instance: dg.DagsterInstance, day: str, drift: bool) -> int:
    score = 0.31 if drift else 0.12
    instance.report_runless_asset_event(dg.AssetMaterialization(
        "feature_drift_report",
        metadata={"delivery_day": day, "retrain_recommended": drift, "dataset_drift": drift, "drift_score": score,
                  "drift_threshold": 0.2, "status": f"{'drift' if drift else 'no drift'}: score {score}"}))
    [record] = instance.fetch_materializations(dg.AssetKey("feature_drift_report"), limit=1).records
    return record.storage_id


def _sensor_runs(instance: dg.DagsterInstance) -> list[dg.DagsterRun]:
    return list(instance.get_runs(dg.RunsFilter(job_name="retrain_job", tags={"dagster/sensor_name": SENSOR})))


@pytest.mark.slow
def test_a_daemon_killed_mid_cursor_neither_misses_nor_repeats_a_drift_event(processes: Processes, tmp_path: Path):
    home = tmp_path / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text(INSTANCE_YAML)
    code_port = free_port()
    env = {**os.environ, "DAGSTER_HOME": str(home), DATA_DIR: str(tmp_path / "data"),
           "DAGSTER_CODE_LOCATION_HOST": "127.0.0.1", "DAGSTER_CODE_LOCATION_PORT": str(code_port),
           RETRAIN_COOLDOWN_HOURS: "0", DRIFT_SENSOR_INTERVAL_SECONDS: "1", "DO_NOT_TRACK": "true"}
    env.pop("HEALTHCARE_DATAOPS_ENVIRONMENT", None)
    # The code location stays up: the daemon is what dies (as in production, where they are
    # separate containers), and each restart is then a few seconds, not a definitions load.
    processes.start("code-server", ["dagster", "code-server", "start", "-h", "127.0.0.1", "-p", str(code_port),
                                    "-m", "healthcare_dataops.definitions"], env, cwd=tmp_path)
    instance = dg.DagsterInstance.from_config(str(home))
    drifted: list[int] = []
    quiet: list[int] = []
    kills: list[Kill] = []
    days = iter(DAYS)

    def record(drift: bool) -> int:
        storage_id = _record(instance, next(days), drift)
        (drifted if drift else quiet).append(storage_id)
        return storage_id

    def start_daemon(n: int) -> subprocess.Popen:
        processes.start(f"daemon-{n}", ["dagster-daemon", "run", "-w", str(WORKSPACE)], env, cwd=tmp_path)
        return processes.started[-1][0]

    try:
        # The sensor (running by default) starts at the newest report: a quiet one, so that
        # there is a saved cursor for the kill to leave behind.
        record(drift=False)
        wait_for("the code server answering its gRPC health check", lambda: _grpc_healthy(code_port, env),
                 SERVER_READY_TIMEOUT_S, processes)
        daemon = start_daemon(0)
        wait_for("the sensor's first tick saving its cursor", lambda: _handled(instance) == quiet[-1],
                 CATCH_UP_TIMEOUT_S, processes, every_s=0.2)
        record(drift=True)
        for attempt in range(1, MAX_KILL_TRIES + 1):
            target = drifted[-1]
            deadline = time.monotonic() + RUN_APPEARS_TIMEOUT_S
            while not (runs := instance.get_runs(dg.RunsFilter(tags={RUN_KEY_TAG: str(target)}))):
                assert time.monotonic() < deadline, f"no run for report {target}\n{processes.logs()}"
                assert daemon.poll() is None, f"the daemon exited\n{processes.logs()}"
                time.sleep(POLL_S)
            # The worst moment: the run is in run storage, the tick and cursor are being saved.
            os.killpg(daemon.pid, signal.SIGKILL)
            daemon.wait(timeout=30)
            tick = _newest_tick(instance)
            kill = Kill(target, runs[0].status.value, tick.status.value if tick else None, _handled(instance))
            kills.append(kill)
            # Reports keep coming while the daemon is down (the run workers write them): a
            # drifted one, then a quiet one. The drifted one may not be passed over because a
            # newer report found no drift.
            record(drift=True)
            record(drift=False)
            daemon = start_daemon(attempt)
            if kill.mid_cursor:
                break
            # Not mid-cursor this time: let the restarted daemon catch up, then a new target.
            wait_for("the restarted daemon handling the reports recorded while it was down",
                     lambda: _handled(instance) == quiet[-1], CATCH_UP_TIMEOUT_S, processes, every_s=0.2)
            record(drift=True)

        assert any(k.mid_cursor for k in kills), (
            f"no kill in {len(kills)} tries landed between the run's creation and the cursor's save: {kills}")
        last = max(drifted + quiet)
        wait_for("the restarted daemon catching up with every report", lambda: _handled(instance) == last
                 and len(_sensor_runs(instance)) >= len(drifted), CATCH_UP_TIMEOUT_S, processes, every_s=0.5)
        # A repeat would come from a later tick: wait for one to finish after the catch-up.
        caught_up = _newest_tick(instance).tick_id
        wait_for("a tick of the sensor after the catch-up", lambda: _tick_after(instance, caught_up),
                 CATCH_UP_TIMEOUT_S, processes, every_s=0.2)
        runs = _sensor_runs(instance)
        keys = Counter(r.tags[RUN_KEY_TAG] for r in runs)
        assert keys == Counter(str(s) for s in drifted), (
            f"runs by report {dict(keys)}; drifted reports {drifted}, quiet ones {quiet}; kills {kills}")
        assert not set(keys) & {str(s) for s in quiet}
        # Every run was submitted to the queue: none was left NOT_STARTED by a kill.
        assert {r.status for r in runs} == {dg.DagsterRunStatus.QUEUED}, [(r.run_id, r.status) for r in runs]
        landed = next(k for k in kills if k.mid_cursor)
        if landed.tick_status == "STARTED":
            # The interrupted tick kept the run it had reserved and its cursor: it was resumed.
            restart_log = (tmp_path / f"daemon-{len(kills)}.log").read_text(errors="replace")
            assert "was interrupted part-way through, resuming" in restart_log, restart_log[-3000:]
        print(f"kills: {kills}; drifted reports {drifted}; quiet {quiet}; runs {dict(keys)}")
    finally:
        instance.dispose()

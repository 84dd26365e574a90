"""The production topology on one machine: the code location's gRPC server as the image starts
it, the daemon and the webserver on deploy/workspace.yaml, all on the PostgreSQL instance."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import dagster as dg
import pytest
import yaml
from dagster._core.workspace.load import location_origins_from_config

from healthcare_dataops_tests.deploy.conftest import (
    DAY,
    DEPLOY_DIR,
    ProductionInstance,
    lakehouse_env,
)
from healthcare_dataops_tests.loopback import free_port
from healthcare_dataops_tests.servers import Processes, graphql, http_get, wait_for

WORKSPACE = DEPLOY_DIR / "workspace.yaml"
LOCATION = "healthcare_dataops"
SERVER_READY_TIMEOUT_S = 90
RUN_TIMEOUT_S = 240


def test_production_workspace_points_at_the_code_servers_grpc_port(monkeypatch):
    monkeypatch.setenv("DAGSTER_CODE_LOCATION_HOST", "code-location")
    monkeypatch.setenv("DAGSTER_CODE_LOCATION_PORT", "4000")
    origins = location_origins_from_config(yaml.safe_load(WORKSPACE.read_text()), str(WORKSPACE))
    [(name, origin)] = origins.items()
    assert (name, origin.host, origin.port) == (LOCATION, "code-location", 4000)


def grpc_healthy(port: int, env: dict[str, str]) -> bool:
    return subprocess.run(["dagster", "api", "grpc-health-check", "-p", str(port)], env=env,
                          check=False, capture_output=True, timeout=30).returncode == 0


def failure_events(instance: dg.DagsterInstance, run_id: str) -> str:
    kinds = {dg.DagsterEventType.STEP_FAILURE, dg.DagsterEventType.RUN_FAILURE, dg.DagsterEventType.ENGINE_EVENT}
    return "\n".join(f"{e.dagster_event_type}: {e.message}" for e in instance.all_logs(run_id, of_type=kinds))


@pytest.mark.slow
def test_a_queued_run_is_launched_by_the_daemon_on_the_code_location(
    production_instance: ProductionInstance, landing_zone: Path, processes: Processes, tmp_path: Path,
):
    # The schema first: three services creating it at once on an empty database would race.
    with dg.DagsterInstance.get():
        pass
    code_port = free_port()
    env = lakehouse_env(production_instance, landing_zone, tmp_path / "data") | {
        "DAGSTER_CODE_LOCATION_HOST": "127.0.0.1", "DAGSTER_CODE_LOCATION_PORT": str(code_port),
    }
    processes.start("code-server", ["dagster", "code-server", "start", "-h", "127.0.0.1", "-p", str(code_port),
                                    "-m", "healthcare_dataops.definitions"], env, cwd=tmp_path)
    wait_for("the code server answering its gRPC health check", lambda: grpc_healthy(code_port, env),
             SERVER_READY_TIMEOUT_S, processes)
    processes.start("daemon", ["dagster-daemon", "run", "-w", str(WORKSPACE)], env, cwd=tmp_path)

    launched = subprocess.run(
        ["dagster", "job", "launch", "-w", str(WORKSPACE), "-j", "daily_pipeline_job",
         "--tags", json.dumps({"dagster/partition": DAY})],
        env=env, cwd=tmp_path, check=False, capture_output=True, text=True, timeout=120,
    )
    assert launched.returncode == 0, launched.stdout[-3000:] + launched.stderr[-3000:]

    with dg.DagsterInstance.get() as instance:
        [record] = instance.get_run_records()
        run_id = record.dagster_run.run_id

        def finished() -> bool:
            return instance.get_run_by_id(run_id).is_finished

        wait_for(f"run {run_id} finishing", finished, RUN_TIMEOUT_S, processes, every_s=2)
        run = instance.get_run_by_id(run_id)
        assert run.status == dg.DagsterRunStatus.SUCCESS, failure_events(instance, run_id) + processes.logs()
        # Queued by the launch, started by the daemon's dequeue, not straight by the CLI.
        lifecycle = [e.dagster_event_type for e in instance.all_logs(run_id, of_type={
            dg.DagsterEventType.RUN_ENQUEUED, dg.DagsterEventType.RUN_STARTING,
            dg.DagsterEventType.RUN_START, dg.DagsterEventType.RUN_SUCCESS})]
        assert lifecycle == [dg.DagsterEventType.RUN_ENQUEUED, dg.DagsterEventType.RUN_STARTING,
                             dg.DagsterEventType.RUN_START, dg.DagsterEventType.RUN_SUCCESS]
        assert run.tags["dagster/code_location"] == LOCATION
        # Its writers took their turn in the pools: each claimed and freed a slot of one.
        for pool in ("bronze_ehr_tables", "silver_ehr_tables", "gold_tables"):
            info = instance.event_log_storage.get_concurrency_info(pool)
            assert (info.slot_count, info.active_slot_count, info.pending_step_count) == (1, 0, 0), pool
        # patient_features is rebuilt from all history: one materialization, not one per day.
        features = instance.fetch_materializations(dg.AssetKey("patient_features"), limit=1).records
        assert [r.run_id for r in features] == [run_id], "the daily pipeline reached gold"

    web_port = free_port()
    processes.start("webserver", ["dagster-webserver", "-w", str(WORKSPACE), "-h", "127.0.0.1",
                                  "-p", str(web_port)], env, cwd=tmp_path)
    base_url = f"http://127.0.0.1:{web_port}"
    wait_for("the webserver answering /server_info", lambda: http_get(f"{base_url}/server_info") is not None,
             SERVER_READY_TIMEOUT_S, processes)
    data = graphql(base_url, f'{{ runOrError(runId: "{run_id}") {{ ... on Run {{ status jobName }} }} '
                             "workspaceOrError { ... on Workspace { locationEntries { name "
                             "locationOrLoadError { __typename } } } } }")
    assert data["runOrError"] == {"status": "SUCCESS", "jobName": "daily_pipeline_job"}
    assert data["workspaceOrError"]["locationEntries"] == [
        {"name": LOCATION, "locationOrLoadError": {"__typename": "RepositoryLocation"}}]

"""deploy/dagster.yaml: a Dagster instance on PostgreSQL, and a real materialization into it."""

from __future__ import annotations

import subprocess

import dagster as dg
import pytest
from dagster._utils.tags import TagConcurrencyLimitsCounter
from dagster_postgres import PostgresEventLogStorage, PostgresRunStorage

from healthcare_dataops_tests.deploy.conftest import (
    DAY,
    ProductionInstance,
    lakehouse_env,
)


def tables_of(instance: ProductionInstance) -> set[str]:
    with instance.database.connect() as connection, connection.cursor() as cursor:
        cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        return {name for (name,) in cursor.fetchall()}


def test_runs_events_and_schedules_are_kept_in_postgres(production_instance: ProductionInstance):
    with dg.DagsterInstance.get() as instance:
        assert isinstance(instance.run_storage, PostgresRunStorage)
        assert isinstance(instance.event_log_storage, PostgresEventLogStorage)
        assert instance.get_ref().schedule_storage_data.class_name == "PostgresScheduleStorage"
    # The storages made their schema in the configured database, reached with its password.
    assert {"runs", "event_logs", "instigators", "job_ticks"} <= tables_of(production_instance)
    # and nothing fell back to the SQLite files a default instance writes into DAGSTER_HOME.
    assert sorted(p.name for p in production_instance.home.iterdir()) == ["dagster.yaml"]


def test_a_missing_connection_variable_is_named(production_instance, monkeypatch):
    monkeypatch.delenv("DAGSTER_POSTGRES_PASSWORD")
    with pytest.raises(dg.DagsterInvalidConfigError, match="DAGSTER_POSTGRES_PASSWORD"):
        dg.DagsterInstance.get()


def test_runs_are_queued_within_the_concurrency_limits(production_instance):
    with dg.DagsterInstance.get() as instance:
        assert isinstance(instance.run_coordinator, dg.QueuedRunCoordinator)
        queue = instance.get_concurrency_config().run_queue_config
    assert 1 <= queue.max_concurrent_runs < 10, "a bounded queue, tighter than Dagster's default of 10"
    assert queue.max_user_code_failure_retries > 0, "a redeploying code location must not fail queued runs"

    def blocked(in_progress: list[dict[str, str]], candidate: dict[str, str]) -> bool:
        runs = [dg.DagsterRun(job_name="any", tags=tags) for tags in in_progress]
        return TagConcurrencyLimitsCounter(queue.tag_concurrency_limits, runs).is_blocked(
            dg.DagsterRun(job_name="any", tags=candidate))

    daily = {"dagster/partition": "2026-01-05"}
    assert blocked([{"dagster/backfill": "a"}], {"dagster/backfill": "b"}), "one backfill at a time"
    assert not blocked([{"dagster/backfill": "a"}], daily), "a daily run may start beside a backfill"
    assert not blocked([daily], daily), "runs overlap; their writes take turns in the pools"


def test_every_pool_admits_one_run_at_a_time(production_instance):
    """Runs writing one table family (or retraining into the registry) never overlap; by run,
    as step-level claims can hand one slot to two steps; the limit is the instance's default,
    so a pool added later is limited without a migration."""
    with dg.DagsterInstance.get() as instance:
        pools = instance.get_concurrency_config().pool_config
        assert (pools.pool_granularity.value, pools.default_pool_limit) == ("run", 1)
        assert instance.event_log_storage.supports_global_concurrency_limits


def test_crashed_runs_are_retried_and_hung_runs_are_failed(production_instance):
    with dg.DagsterInstance.get() as instance:
        assert instance.run_retries_enabled
        assert 1 <= instance.run_retries_max_retries <= 3
        # Asset failures have step-level retry policies already; a whole-run retry is for crashes.
        assert instance.run_retries_retry_on_asset_or_op_failure is False
        assert instance.run_monitoring_enabled
        assert instance.run_monitoring_start_timeout_seconds > 0
        assert instance.run_monitoring_cancel_timeout_seconds > 0
        assert instance.run_monitoring_max_runtime_seconds > 0
        assert 0 < instance.run_monitoring_poll_interval_seconds <= 120
        assert instance.telemetry_enabled is False


def bronze_asset_keys() -> set[str]:
    from healthcare_dataops.definitions import defs

    return {key.to_user_string() for asset in defs.assets for key in asset.keys
            if asset.group_names_by_key[key] == "bronze"}


@pytest.mark.slow
def test_materialization_is_recorded_in_postgres(production_instance, landing_zone, tmp_path):
    done = subprocess.run(
        ["dagster", "asset", "materialize", "-m", "healthcare_dataops.definitions",
         "--select", "group:bronze", "--partition", DAY],
        env=lakehouse_env(production_instance, landing_zone, tmp_path / "data"), cwd=tmp_path,
        check=False, capture_output=True, text=True, timeout=180,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]

    with production_instance.database.connect() as connection, connection.cursor() as cursor:
        cursor.execute("SELECT run_id, status FROM runs")
        [(run_id, status)] = cursor.fetchall()
        cursor.execute(
            "SELECT asset_key, partition FROM event_logs "
            "WHERE run_id = %s AND dagster_event_type = 'ASSET_MATERIALIZATION'", (run_id,))
        materialized = cursor.fetchall()
    assert status == "SUCCESS"
    # asset_key holds the key as JSON: ["ehr_patients"]
    assert {key.strip('[]"') for key, _ in materialized} == bronze_asset_keys()
    assert {partition for _, partition in materialized} == {DAY}
    assert (tmp_path / "data" / "lakehouse" / "bronze" / "ehr_patients" / "_delta_log").is_dir()
    assert not (production_instance.home / "history").exists(), "runs went to SQLite, not Postgres"

"""The lakehouse graph on an S3 that fails requests: throttles (503 SlowDown), internal errors
(500), reset connections, and once a server that is down for a few seconds (connections
refused) then back on the same port. Every client and step retries and finishes, and nothing
is written twice: each table holds exactly what a fault-free run writes, in as many commits
but one more for each retry of a step whose tables had partly committed (the re-run replaces
the day's rows with the same rows).

The faults come from healthcare_dataops_tests/s3_faults.py, a proxy process in front of the
local moto server. Landing zone (boto3), bronze and gold commits (delta-rs) and the silver
writes (Sail) all go through it. Its buckets are new to this test and only ever reached through
the proxy: the embedded Sail engine keeps its S3 client per bucket for the whole session.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import dagster as dg
import pytest
from dagster_aws.s3 import S3Resource
from deltalake import DeltaTable

from healthcare_dataops.definitions import defs
from healthcare_dataops.lakehouse import storage
from healthcare_dataops.resources import S3LandingZoneResource
from healthcare_dataops_tests.dagster_helpers import lakehouse_assets, materialize_days
from healthcare_dataops_tests.s3_faults import KINDS, Schedule, proxy
from healthcare_dataops_tests.s3_server import REGION, aws_environment

pytestmark = pytest.mark.slow

DAYS = ("2026-01-01", "2026-01-01")
LANDING_BUCKET, LAKEHOUSE_BUCKET = "faulty-landing", "faulty-lakehouse"
# Every 40th request fails (503, 500, reset in turn: about 25 of each in a run, each met by a
# client's backoff, so more faults would only add waiting); the first read
# of a delivered file takes the server down for longer than boto3's five attempts last, so that
# step fails and is retried. delta-rs does not retry a Delta commit's PUT whose connection was
# reset: that step fails and its retry writes the day again. At every 9th request a step could
# meet such a reset on every one of its four attempts, depending on how its requests interleave.
SCHEDULE = Schedule(every=40, kinds=KINDS, down_on=f"GET /{LANDING_BUCKET}/deliveries/", down_seconds=6)


def _tables(root: Path) -> list[str]:
    return sorted(f"{layer.name}/{t.name}" for layer in root.iterdir() if layer.is_dir()
                  for t in layer.iterdir() if (t / "_delta_log").is_dir())


def _rows(table: DeltaTable) -> list[str]:
    """Every row, but for the time of ingestion, which differs between two runs."""
    rows = table.to_pyarrow_table()
    return sorted(map(repr, rows.drop_columns([c for c in rows.column_names if c == "ingested_at"]).to_pylist()))


def test_steps_retry_through_s3_faults_and_write_nothing_twice(small_lakehouse, s3_endpoint, moto_endpoint,
                                                               monkeypatch):
    # The fault-free run: the shared build of the same feeds, materialized locally.
    assert (small_lakehouse.first_day, small_lakehouse.last_day) == DAYS
    delivered, reference = small_lakehouse.landing, small_lakehouse.lakehouse

    for bucket in (LANDING_BUCKET, LAKEHOUSE_BUCKET):
        s3_endpoint.create_bucket(Bucket=bucket)
    for path in sorted(p for p in delivered.rglob("*") if p.is_file()):
        s3_endpoint.upload_file(str(path), LANDING_BUCKET, f"deliveries/{path.relative_to(delivered).as_posix()}")

    with proxy(moto_endpoint, SCHEDULE) as faulty:
        for name, value in aws_environment(faulty.endpoint).items():
            monkeypatch.setenv(name, value)
        landing = S3LandingZoneResource(root=f"s3://{LANDING_BUCKET}/deliveries",
                                        s3=S3Resource(region_name=REGION, endpoint_url=faulty.endpoint))
        lakehouse = f"s3://{LAKEHOUSE_BUCKET}/healthcare"
        result = materialize_days(lakehouse_assets(), *DAYS, landing=Path("unused"), lakehouse=lakehouse,
                                  resources={"landing_zone": landing}, raise_on_error=False)
        stats = faulty.stats()

    restarts = [e for e in result.all_events if e.event_type == dg.DagsterEventType.STEP_RESTARTED]
    failures = [e.message for e in result.all_events if e.event_type == dg.DagsterEventType.STEP_FAILURE]
    print(f"proxy: {stats}; step restarts: {[e.step_key for e in restarts]}")
    assert result.success, failures
    # The faults happened, and the clients retried them: the same request came again.
    assert all(stats["faults"].get(kind, 0) > 0 for kind in (*KINDS, "down")), stats
    assert stats["down_periods"] == 1 and stats["retried"] > 0, stats
    assert set(stats["retried_by_kind"]) >= set(KINDS), stats  # each kind of fault was retried
    # The landing read that met the stopped server outlasted boto3's attempts: the step retried.
    assert restarts, "no step was retried: the down period did not outlast the client's attempts"

    # Read back from the server itself: the proxy is gone.
    for name, value in aws_environment(moto_endpoint).items():
        monkeypatch.setenv(name, value)
    options = storage.storage_options(lakehouse)
    restarted = Counter(e.step_key for e in restarts)
    step_of = {key.path[-1]: asset.node_def.name for asset in defs.assets for key in asset.keys}
    tables = _tables(reference)
    assert len(tables) >= 8, tables
    for name in tables:
        local = DeltaTable(str(reference / name))
        on_s3 = DeltaTable(f"{lakehouse}/{name}", storage_options=options)
        assert _rows(on_s3) == _rows(local), f"{name}: rows differ from the fault-free run"
        # A step retried after some of its tables had committed writes them again: the same rows
        # replace themselves in one more commit (equal rows above prove nothing was added twice).
        # Any other extra version would be a retried commit that landed twice.
        extra, retries = on_s3.version() - local.version(), restarted[step_of[name.split("/")[1]]]
        assert 0 <= extra <= retries, (
            f"{name}: version {on_s3.version()} on S3, {local.version()} without faults, "
            f"{retries} retries of its step\n{[h.get('operation') for h in on_s3.history()]}")

"""The whole graph on S3, as production runs it: landing zone, lakehouse and MLflow artifacts
in buckets of a local S3-compatible server, and the landing-zone sensor watching the bucket."""

from __future__ import annotations

import time
from pathlib import Path

import dagster as dg
import pytest
from dagster_aws.s3 import S3Resource
from deltalake import DeltaTable

from healthcare_dataops.cli import main as cli
from healthcare_dataops.defs.landing.landing_days import SETTLE_SECONDS
from healthcare_dataops.defs.landing.landing_zone_sensor import landing_zone_requests, landing_zone_sensor
from healthcare_dataops.lakehouse import storage
from healthcare_dataops.resources import MlflowResource, S3LandingZoneResource
from healthcare_dataops_tests.dagster_helpers import all_assets, materialize_days, metadata_of
from healthcare_dataops_tests.s3_server import REGION

pytestmark = pytest.mark.slow

# Two days: a run over more than one, and a sensor that finds more than one settled day.
FIRST_DAY, LAST_DAY = "2026-01-01", "2026-01-02"
DAYS = [FIRST_DAY, LAST_DAY]
LANDING = "s3://landing/deliveries"
ARTIFACTS = "s3://mlflow/artifacts"


def tick(landing: S3LandingZoneResource, cursor: str | None) -> dg.SensorResult:
    with dg.build_sensor_context(cursor=cursor, resources={"landing_zone": landing}) as context:
        return landing_zone_sensor(context)


def tick_at(landing: S3LandingZoneResource, cursor: str | None, now_ns: int) -> dg.SensorResult:
    with dg.build_sensor_context(cursor=cursor) as context:
        return landing_zone_requests(context, landing, now_ns=now_ns)


def read_s3_table(root: str, layer: str, name: str):
    return DeltaTable(f"{root}/{layer}/{name}", storage_options=storage.storage_options(root)).to_pyarrow_table()


def keys_under(s3, bucket: str, prefix: str = "") -> list[str]:
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
    return [item["Key"] for page in pages for item in page.get("Contents", [])]


@pytest.fixture(scope="module")
def feeds(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("feeds")
    cli(["generate", "--landing", str(root / "landing"), "--side", str(root / "side"),
         "--patients", "150", "--days", str(len(DAYS)), "--start-date", FIRST_DAY, "--quiet"])
    return root / "landing"


@pytest.fixture
def deployed(s3_endpoint, s3_bucket, feeds, tmp_path):
    """Deliveries put into the landing bucket with an S3 client, as the sources would."""
    for bucket in ("landing", "mlflow"):
        s3_endpoint.create_bucket(Bucket=bucket)
    for path in sorted(p for p in feeds.rglob("*") if p.is_file()):
        s3_endpoint.upload_file(str(path), "landing", f"deliveries/{path.relative_to(feeds).as_posix()}")
    landing = S3LandingZoneResource(
        root=LANDING, s3=S3Resource(region_name=REGION, endpoint_url=s3_endpoint.meta.endpoint_url)
    )
    mlflow = MlflowResource(tracking_uri=f"sqlite:///{tmp_path}/mlflow.db", artifact_root=ARTIFACTS)
    return landing, mlflow


def test_the_graph_runs_on_s3_and_the_sensor_watches_the_bucket(deployed, s3_endpoint, s3_bucket):
    landing, mlflow = deployed
    fresh = tick(landing, cursor=None)
    assert not fresh.run_requests, "files written seconds ago are still arriving"
    assert "Still arriving" in fresh.skip_reason.skip_message

    result = materialize_days(
        all_assets(), FIRST_DAY, LAST_DAY, landing=Path("unused"), lakehouse=s3_bucket,
        resources={"landing_zone": landing, "mlflow_tracking": mlflow},
        # Two days of feeds label none of their own admissions: train on the first export's
        # history, and make that first version the champion the scores and report need.
        run_config={"ops": {"risk_model": {"config": {
            "force_promotion": True, "min_labelled_rows": 20, "require_lab_results": False,
            "train_on_history": True,
        }}}},
    )
    assert result.success
    assert read_s3_table(s3_bucket, "bronze", "lab_results_raw").num_rows > 0
    assert read_s3_table(s3_bucket, "gold", "patient_features").num_rows > 0
    assert metadata_of(result, "risk_model")["alias"] == "champion"
    scores = read_s3_table(s3_bucket, "gold", "patient_risk_scores")
    assert scores.num_rows > 0, "the champion, loaded back from S3, scored the open stays"
    artifacts = keys_under(s3_endpoint, "mlflow", "artifacts/")
    assert any(key.endswith("/MLmodel") for key in artifacts), artifacts[:10]
    assert any("evaluation/subgroup_metrics.json" in key for key in artifacts)
    assert (f"healthcare/reports/feature_drift/{LAST_DAY}.html"
            in keys_under(s3_endpoint, "lakehouse", "healthcare/reports/"))

    # The bucket's modification times are the server's clock: a tick a settle time and a second
    # from now sees every upload settled, without waiting for it.
    later = time.time_ns() + (SETTLE_SECONDS + 1) * 1_000_000_000
    settled = tick_at(landing, fresh.cursor, later)
    assert sorted(r.partition_key for r in settled.run_requests) == DAYS
    again = tick_at(landing, settled.cursor, later)
    assert not again.run_requests

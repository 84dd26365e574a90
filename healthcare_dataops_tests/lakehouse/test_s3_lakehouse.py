"""The same assets on an S3 lakehouse (a local S3-compatible server) as on a local one."""

import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import boto3
import pytest
from deltalake import DeltaTable

from healthcare_dataops.cli import main as cli
from healthcare_dataops.lakehouse import storage
from healthcare_dataops_tests.dagster_helpers import (
    lakehouse_assets,
    materialize_days,
    read_table,
)

DAYS = ("2026-01-01", "2026-01-02")
SILVER_TABLES = (
    "patients", "encounters", "lab_results", "lab_results_quarantine", "wearable_readings",
    "wearable_vitals", "observations_quarantine",
)


@pytest.fixture
def s3_bucket(monkeypatch):
    # A server process of its own: in a thread of this process it would wait on the GIL
    # that a blocking delta-rs call holds, and the two would deadlock.
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    moto_server = shutil.which("moto_server") or str(Path(sys.executable).with_name("moto_server"))
    server = subprocess.Popen(
        [moto_server, "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while socket.socket().connect_ex(("127.0.0.1", port)) != 0:
        assert time.monotonic() < deadline and server.poll() is None, "moto_server did not start"
        time.sleep(0.1)
    endpoint = f"http://127.0.0.1:{port}"
    for name, value in {
        "AWS_ENDPOINT_URL": endpoint, "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing", "AWS_REGION": "us-east-1", "AWS_ALLOW_HTTP": "true",
    }.items():
        monkeypatch.setenv(name, value)
    boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1").create_bucket(Bucket="lakehouse")
    yield "s3://lakehouse/healthcare"
    server.terminate()
    server.wait(timeout=10)


def _rows(uri: str) -> list[str]:
    table = DeltaTable(uri, storage_options=storage.storage_options(uri)).to_pyarrow_table()
    return sorted(map(repr, table.to_pylist()))


def test_assets_on_s3_write_what_they_write_locally(s3_bucket, tmp_path):
    cli(["generate", "--landing", str(tmp_path / "landing"), "--side", str(tmp_path / "side"),
         "--patients", "50", "--days", "2", "--start-date", DAYS[0], "--quiet"])
    local = materialize_days(lakehouse_assets(), *DAYS, landing=tmp_path / "landing", lakehouse=tmp_path / "local")
    on_s3 = materialize_days(lakehouse_assets(), *DAYS, landing=tmp_path / "landing", lakehouse=s3_bucket)
    assert local.success and on_s3.success
    for table in SILVER_TABLES:
        assert _rows(f"{s3_bucket}/silver/{table}") == _rows(str(tmp_path / "local" / "silver" / table)), table
    assert read_table(tmp_path / "local", "bronze", "lab_results_raw").num_rows == len(
        _rows(f"{s3_bucket}/bronze/lab_results_raw")
    )

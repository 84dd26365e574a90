"""The S3 landing zone lists and reads exactly what the same files in a folder give."""

from pathlib import Path

import pytest
from dagster_aws.s3 import S3Resource

from healthcare_dataops.resources import LandingZoneResource, S3LandingZoneResource
from healthcare_dataops_tests.s3_server import REGION

DELIVERED = {
    "ehr/2026-01-05/patients.csv": b"Id,BIRTHDATE\n1,1950-01-01\n",
    "ehr/2026-01-05/encounters.csv": b"Id,START\n",
    "labs/2026-01-05/quest_20260105.hl7": b"MSH|^~\\&|LAB\r",
    "labs/2026-01-06/quest_20260106.hl7": b"MSH|^~\\&|LAB\rPID|1\r",
    "wearables/2026-01-06/fitbit_20260106.jsonl": b"{}\n" * 1000,
    # Not deliveries, or not in a day folder: each resource must treat them alike.
    "labs/2026-01-05/.quest_20260105.hl7.part": b"half",
    "labs/not-a-day/readme.txt": b"x",
}


def upload(s3_endpoint, bucket: str, prefix: str) -> None:
    s3_endpoint.create_bucket(Bucket=bucket)
    for relative, content in DELIVERED.items():
        s3_endpoint.put_object(Bucket=bucket, Key=f"{prefix}{relative}", Body=content)
    # A folder marker, as some consoles create on "create folder".
    s3_endpoint.put_object(Bucket=bucket, Key=f"{prefix}labs/2026-01-07/", Body=b"")


@pytest.fixture
def zones(s3_endpoint, tmp_path) -> tuple[LandingZoneResource, S3LandingZoneResource]:
    for relative, content in DELIVERED.items():
        (tmp_path / relative).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / relative).write_bytes(content)
    (tmp_path / "labs/2026-01-07").mkdir()
    upload(s3_endpoint, "landing", "hospital/deliveries/")
    s3 = S3Resource(region_name=REGION, endpoint_url=s3_endpoint.meta.endpoint_url)
    return (LandingZoneResource(root=str(tmp_path)),
            S3LandingZoneResource(root="s3://landing/hospital/deliveries", s3=s3))


def test_files_and_their_content_match_the_local_zone(zones):
    local, s3 = zones
    for source, day in [("ehr", "2026-01-05"), ("labs", "2026-01-05"), ("wearables", "2026-01-06"),
                        ("labs", "2026-01-09")]:
        assert s3.files(source, day) == local.files(source, day)
        for file in s3.files(source, day):
            with s3.open(file) as remote, local.open(file) as here:
                assert remote.read() == here.read() == DELIVERED[file.relative_path]


def test_delivery_days_and_snapshot_match_the_local_zone(zones):
    local, s3 = zones
    for source in ("ehr", "labs", "wearables"):
        assert s3.delivery_days(source) == local.delivery_days(source)
    paths_and_sizes = [(f.relative_path, f.size_bytes) for f in s3.snapshot()]
    assert paths_and_sizes == [(f.relative_path, f.size_bytes) for f in local.snapshot()]
    assert ("labs/not-a-day/readme.txt", 1) in paths_and_sizes  # the sensor reports such folders


def test_a_bucket_root_without_prefix_works(s3_endpoint):
    upload(s3_endpoint, "deliveries", "")
    s3 = S3LandingZoneResource(root="s3://deliveries", s3=S3Resource(endpoint_url=s3_endpoint.meta.endpoint_url))
    assert [f.name for f in s3.files("labs", "2026-01-06")] == ["quest_20260106.hl7"]


def test_a_root_that_is_not_s3_is_refused(s3_endpoint):
    with pytest.raises(ValueError, match="is not s3://<bucket>/<prefix>"):
        S3LandingZoneResource(root=str(Path("/tmp/landing")), s3=S3Resource()).delivery_days("labs")

"""Reports land under the lakehouse root, in a folder or on S3, and a rerun replaces them."""

from __future__ import annotations

import boto3

from healthcare_dataops.lakehouse import storage
from healthcare_dataops.model_health import report_store


def test_a_local_report_is_written_and_replaced(tmp_path):
    source = tmp_path / "report.html"
    target = tmp_path / "lakehouse" / "reports" / "feature_drift" / "2026-01-14.html"
    for text in ("first", "second"):
        source.write_text(text)
        report_store.put(source, str(target), {})
    assert target.read_text() == "second"


def test_an_s3_report_goes_to_the_bucket_with_the_lakehouse_settings(s3_bucket, tmp_path):
    source = tmp_path / "report.html"
    source.write_text("<html>drift</html>")
    uri = f"{s3_bucket}/reports/feature_drift/2026-01-14.html"
    report_store.put(source, uri, storage.storage_options(uri))
    options = storage.storage_options(uri)
    s3 = boto3.client("s3", endpoint_url=options["AWS_ENDPOINT_URL"], region_name="us-east-1")
    body = s3.get_object(Bucket="lakehouse", Key="healthcare/reports/feature_drift/2026-01-14.html")["Body"].read()
    assert body == b"<html>drift</html>"

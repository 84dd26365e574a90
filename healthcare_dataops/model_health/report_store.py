"""Copying a rendered report to its place under the lakehouse root: a folder or S3."""

from __future__ import annotations

import shutil
from pathlib import Path

from pyarrow import fs

from healthcare_dataops.lakehouse import storage


def put(local_file: Path, uri: str, storage_options: dict[str, str]) -> None:
    """Overwrites: a rerun of the same day replaces that day's report."""
    if not storage.is_s3(uri):
        Path(uri).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(local_file, uri)
        return
    with _s3(storage_options).open_output_stream(uri.split("://", 1)[1]) as out, local_file.open("rb") as source:
        shutil.copyfileobj(source, out)


def _s3(options: dict[str, str]) -> fs.S3FileSystem:
    """From the same AWS settings delta-rs is given, so the report lands beside the tables;
    keys left unset fall back to pyarrow's default AWS credential chain."""
    scheme, _, host = options.get("AWS_ENDPOINT_URL", "").rpartition("://")
    return fs.S3FileSystem(
        access_key=options.get("AWS_ACCESS_KEY_ID"),
        secret_key=options.get("AWS_SECRET_ACCESS_KEY"),
        session_token=options.get("AWS_SESSION_TOKEN"),
        region=options.get("AWS_REGION"),
        endpoint_override=host or None,
        scheme=scheme or "https",
    )

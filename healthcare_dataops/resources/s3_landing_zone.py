"""The landing zone under an S3 prefix, read through dagster-aws's ``S3Resource``."""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Iterator
from typing import BinaryIO

from dagster_aws.s3 import S3Resource

from healthcare_dataops import landing_layout
from healthcare_dataops.resources.landing_zone import (
    LandingFile,
    LandingFileStat,
    LandingZoneResource,
)

# A delivered file is read whole by its parser; past this it spills from memory to disk.
_SPOOL_BYTES = 64 << 20


class S3LandingZoneResource(LandingZoneResource):
    """``root`` is ``s3://bucket/prefix``; ``s3`` holds the region, endpoint and credentials.

    Object keys mirror the local layout under the prefix (``<prefix>/labs/2026-01-05/x.hl7``),
    so the sources deliver with any S3 client and nothing else about ingestion changes.
    """

    s3: S3Resource

    def files(self, source: str, day: str) -> list[LandingFile]:
        folder = landing_layout.day_folder(source, day)
        client = self.s3.get_client()
        bucket, prefix = self._bucket_and_prefix()
        found = []
        for item in self._objects(client, f"{folder}/", delimiter="/"):
            relative = item["Key"][len(prefix):]
            if not relative.rsplit("/", 1)[-1].startswith("."):
                body = client.get_object(Bucket=bucket, Key=item["Key"])["Body"]
                found.append(LandingFile(relative, item["Size"], _sha256(body)))
        return sorted(found, key=lambda f: f.relative_path)

    def open(self, file: LandingFile) -> BinaryIO:
        bucket, prefix = self._bucket_and_prefix()
        spooled = tempfile.SpooledTemporaryFile(max_size=_SPOOL_BYTES)  # noqa: SIM115 - returned open, the caller closes it
        self.s3.get_client().download_fileobj(bucket, prefix + file.relative_path, spooled)
        spooled.seek(0)
        return spooled

    def uri(self, file: LandingFile) -> str:
        return f"{self.root.rstrip('/')}/{file.relative_path}"

    def delivery_days(self, source: str) -> list[str]:
        bucket, prefix = self._bucket_and_prefix()
        pages = self.s3.get_client().get_paginator("list_objects_v2").paginate(
            Bucket=bucket, Prefix=f"{prefix}{source}/", Delimiter="/"
        )
        names = [p["Prefix"].rstrip("/").rsplit("/", 1)[-1] for page in pages for p in page.get("CommonPrefixes", [])]
        return sorted(name for name in names if landing_layout.is_day_folder(name))

    def snapshot(self) -> list[LandingFileStat]:
        """One listing of the prefix (no object is read): ``<source>/<folder>/<file>`` keys."""
        client = self.s3.get_client()
        _, prefix = self._bucket_and_prefix()
        found = []
        for item in self._objects(client, ""):
            parts = item["Key"][len(prefix):].split("/")
            if len(parts) == 3 and parts[0] in landing_layout.SOURCES and not any(p.startswith(".") for p in parts):
                modified_ns = int(item["LastModified"].timestamp() * 1_000_000_000)
                found.append(LandingFileStat("/".join(parts), item["Size"], modified_ns))
        return sorted(found, key=lambda f: f.relative_path)

    def _objects(self, client, under: str, delimiter: str = "") -> Iterator[dict]:
        bucket, prefix = self._bucket_and_prefix()
        options = {"Bucket": bucket, "Prefix": prefix + under, **({"Delimiter": delimiter} if delimiter else {})}
        for page in client.get_paginator("list_objects_v2").paginate(**options):
            for item in page.get("Contents", []):
                if not item["Key"].endswith("/"):  # folder markers some consoles create
                    yield item

    def _bucket_and_prefix(self) -> tuple[str, str]:
        scheme, _, rest = self.root.partition("://")
        bucket, _, prefix = rest.partition("/")
        if scheme not in ("s3", "s3a") or not bucket:
            raise ValueError(f"landing zone root {self.root!r} is not s3://<bucket>/<prefix>")
        prefix = prefix.strip("/")
        return bucket, f"{prefix}/" if prefix else ""


def _sha256(body) -> str:
    digest = hashlib.sha256()
    for block in body.iter_chunks(1 << 20):
        digest.update(block)
    return digest.hexdigest()

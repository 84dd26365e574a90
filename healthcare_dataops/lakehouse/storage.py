"""The one place that knows how to reach a lakehouse root: a local folder, or S3.

S3 is configured with the standard AWS variables, which both delta-rs and the Sail engine
read, so Python-side commits and Spark-side reads and writes reach the same bucket. Set
``AWS_ENDPOINT_URL`` (and ``AWS_ALLOW_HTTP=true`` for a plain-HTTP server) for an
S3-compatible store other than AWS.
"""

from __future__ import annotations

import os

_AWS_VARIABLES = (
    "AWS_ENDPOINT_URL",
    "AWS_REGION",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_ALLOW_HTTP",
)


def is_s3(uri: str) -> bool:
    return uri.startswith(("s3://", "s3a://"))


def storage_options(uri: str) -> dict[str, str]:
    """delta-rs storage options for ``uri``: the AWS variables that are set, for S3 roots."""
    if not is_s3(uri):
        return {}
    options = {name: os.environ[name] for name in _AWS_VARIABLES if os.environ.get(name)}
    # delta-rs commits to S3 with conditional writes; no external lock table is needed.
    options.setdefault("AWS_S3_ALLOW_UNSAFE_RENAME", "false")
    return options

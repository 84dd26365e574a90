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


def arrow_filesystem(uri: str):
    """(pyarrow filesystem, path within it) for a local path or an ``s3://`` URI.

    S3 goes through the same AWS variables as delta-rs and the engine, endpoint included, so
    code on the engine's workers reaches the landing zone and the lakehouse as they do.
    """
    from pyarrow import fs

    if not is_s3(uri):
        return fs.LocalFileSystem(), os.path.abspath(uri)
    endpoint = os.environ.get("AWS_ENDPOINT_URL")
    scheme, _, host = (endpoint or "").rpartition("://")
    s3 = fs.S3FileSystem(
        region=os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION"),
        access_key=os.environ.get("AWS_ACCESS_KEY_ID"),
        secret_key=os.environ.get("AWS_SECRET_ACCESS_KEY"),
        session_token=os.environ.get("AWS_SESSION_TOKEN"),
        endpoint_override=host or None,
        scheme=scheme or "https",
    )
    return s3, uri.split("://", 1)[1]


def arrow_selector(path: str):
    """Every file directly in ``path``; none where the folder does not exist."""
    from pyarrow import fs

    return fs.FileSelector(path, allow_not_found=True)


def remove_tree(uri: str) -> None:
    """Delete a folder (local or S3) and everything under it; nothing where it is absent."""
    from pyarrow import fs

    filesystem, folder = arrow_filesystem(uri)
    if filesystem.get_file_info(folder).type != fs.FileType.NotFound:
        filesystem.delete_dir(folder)

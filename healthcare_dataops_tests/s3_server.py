"""A local S3-compatible server (moto's server mode) on 127.0.0.1, for the S3 paths."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from healthcare_dataops_tests.loopback import free_port, listening

# What the lakehouse (delta-rs, Sail), the landing zone (boto3) and MLflow's artifacts all read.
REGION = "us-east-1"


@contextmanager
def moto_server() -> Iterator[str]:
    """The server's endpoint URL while the block runs.

    A process of its own: in a thread of the test process it would wait on the GIL that a
    blocking delta-rs call holds, and the two would deadlock.
    """
    port = free_port()
    executable = shutil.which("moto_server") or str(Path(sys.executable).with_name("moto_server"))
    server = subprocess.Popen(
        [executable, "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while not listening(port):
            assert time.monotonic() < deadline and server.poll() is None, "moto_server did not start"
            time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(timeout=10)


def aws_environment(endpoint: str) -> dict[str, str]:
    """The standard AWS variables a deployment sets, pointed at ``endpoint``."""
    return {
        "AWS_ENDPOINT_URL": endpoint, "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing", "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION, "AWS_ALLOW_HTTP": "true",
    }

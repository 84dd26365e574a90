"""Servers the tests start on 127.0.0.1 (webserver, daemon, code location), each in a process
group of its own, with their logs kept for failure messages."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

import pytest


class Processes:
    """Long-running servers, each in its own process group so that the group (the server and
    the workers it forks) is stopped at teardown; logs go to files for failure messages."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.started: list[tuple[subprocess.Popen, Path]] = []

    def start(self, name: str, argv: list[str], env: dict[str, str], cwd: Path) -> Path:
        log = self.folder / f"{name}.log"
        with open(log, "wb") as out:
            process = subprocess.Popen(argv, env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT,
                                       stdin=subprocess.DEVNULL, start_new_session=True)
        self.started.append((process, log))
        return log

    def logs(self) -> str:
        return "\n".join(f"--- {log.name} (exit {p.poll()}) ---\n{log.read_text(errors='replace')[-3000:]}"
                         for p, log in self.started)

    def stop_all(self) -> None:
        # SIGKILL where SIGTERM is not enough: a server started from a backgrounded shell
        # inherits an ignored SIGINT, and Dagster's then ignores SIGTERM too (library notes).
        # One short grace period for all of them: the test is over, nothing of theirs is read
        # again, and a Dagster server that ignores SIGTERM would only spend it waiting (5 s at
        # every teardown of a test with servers, when it was 5 s).
        for process, _ in reversed(self.started):
            _signal_group(process, signal.SIGTERM)
        deadline = time.monotonic() + 1.5
        for process, _ in reversed(self.started):
            try:
                process.wait(timeout=max(deadline - time.monotonic(), 0.1))
            except subprocess.TimeoutExpired:
                _signal_group(process, signal.SIGKILL)
                process.wait(timeout=15)


def _signal_group(process: subprocess.Popen, sig: int) -> None:
    try:
        os.killpg(process.pid, sig)
    except ProcessLookupError:
        pass


def wait_for(what: str, ready: Callable[[], bool], timeout_s: float, processes: Processes, every_s: float = 1.0):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if ready():
            return
        time.sleep(every_s)
    pytest.fail(f"{what} within {timeout_s} s\n{processes.logs()}")


def http_get(url: str) -> bytes | None:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.read()
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return None


def graphql(base_url: str, query: str) -> dict:
    request = urllib.request.Request(f"{base_url}/graphql", data=json.dumps({"query": query}).encode(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())["data"]

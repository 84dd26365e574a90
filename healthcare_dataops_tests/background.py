"""Commands whose tests only start them and read what they leave: the quickstart script and the
benchmark CLI, each minutes of a subprocess while the test process waits on it.

A test module names such commands in ``BACKGROUND_COMMANDS`` (functions from a folder of the
command's own to a ``Command``). When the run is known to hold the module's tests, the suite
starts them in a thread of its own, one after another in the order collected (conftest), so
that they run beside the in-process tests, which leave a core idle much of the time; the tests
then ask for the result (``finished``) and wait for it where it is not in yet. Run alone, or on
a pytest-xdist worker, a test runs its command when it asks for it. Either way each command
runs once per run, and its time is printed at the end beside the slowest tests.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest


@dataclass(frozen=True)
class Command:
    argv: Sequence[str]
    cwd: Path
    env: dict[str, str]
    timeout: float


@dataclass(frozen=True)
class Finished:
    """What a command left: its exit status, output, folder and how long it ran."""

    returncode: int
    stdout: str
    stderr: str
    workdir: Path
    seconds: float


CommandFactory = Callable[[Path], Command]


class Background:
    """Commands run in order in one thread; each result is kept until the run ends."""

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="healthcare-dataops-background-"))
        self._queued: list[CommandFactory] = []
        self._done: dict[str, Finished] = {}
        self._ready: dict[str, threading.Event] = {}
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._running: set[subprocess.Popen] = set()

    def queue(self, factory: CommandFactory) -> None:
        if factory.__name__ not in self._ready:
            self._queued.append(factory)
            self._ready[factory.__name__] = threading.Event()

    def start(self) -> None:
        if self._queued:
            self._thread = threading.Thread(target=self._run_queued, name="background-commands", daemon=True)
            self._thread.start()

    def _run_queued(self) -> None:
        for factory in self._queued:
            self._run(factory)

    def _run(self, factory: CommandFactory) -> None:
        name = factory.__name__
        workdir = self.root / name
        workdir.mkdir()
        try:
            command = factory(workdir)
            started = time.monotonic()
            # A group of its own: stopped whole (its servers and engines too) if the run ends first.
            process = subprocess.Popen(list(command.argv), cwd=command.cwd, env=command.env, text=True,
                                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                                       start_new_session=True)
            self._running.add(process)
            try:
                stdout, stderr = process.communicate(timeout=command.timeout)
            except subprocess.TimeoutExpired:
                _stop(process)
                stdout, stderr = process.communicate()
                stderr += f"\n{name} timed out after {command.timeout:.0f} s"
            finally:
                self._running.discard(process)
            finished = Finished(process.returncode, stdout, stderr, workdir, time.monotonic() - started)
        except Exception as error:  # the waiting test reports it, with its cause
            finished = Finished(-1, "", f"{name} could not run: {error!r}", workdir, 0.0)
        with self._lock:
            self._done[name] = finished
        self._ready[name].set()

    def finished(self, factory: CommandFactory) -> Finished:
        """The command's result: waited for if queued, run now if not."""
        name = factory.__name__
        with self._lock:
            queued = name in self._ready
            if not queued:
                self._ready[name] = threading.Event()
        if not queued:
            self._run(factory)
        self._ready[name].wait()
        return self._done[name]

    def wait_for_all(self) -> None:
        """Until every queued command has ended."""
        if self._thread is not None:
            self._thread.join()

    def times(self) -> list[tuple[str, float]]:
        return [(name, done.seconds) for name, done in self._done.items()]

    def remove(self) -> None:
        """Stops a command still running (the run ended before its test) and removes every folder."""
        for process in list(self._running):
            _stop(process)
        shutil.rmtree(self.root, ignore_errors=True)


def _stop(process: subprocess.Popen) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)


BACKGROUND_KEY = pytest.StashKey[Background]()


def of(config: pytest.Config) -> Background:
    if BACKGROUND_KEY not in config.stash:
        config.stash[BACKGROUND_KEY] = Background()
    return config.stash[BACKGROUND_KEY]


def finished(request: pytest.FixtureRequest, factory: CommandFactory) -> Finished:
    return of(request.config).finished(factory)


def start_in_background(session: pytest.Session) -> None:
    """Queues the commands of every collected module that names some (in one process: a worker
    of pytest-xdist runs each when its test asks), and starts them."""
    if hasattr(session.config, "workerinput") or session.config.option.collectonly:
        return
    background = of(session.config)
    seen: set[str] = set()
    for item in session.items:
        module = getattr(item, "module", None)
        if module is None or module.__name__ in seen:
            continue
        seen.add(module.__name__)
        for factory in getattr(module, "BACKGROUND_COMMANDS", ()):
            background.queue(factory)
    background.start()

"""Commands whose tests only start them and read what they leave: the quickstart script, the
benchmark CLI, the drift scenarios and the other Python's install, each minutes of a subprocess
while the test process would wait on it.

A test module names such commands in ``BACKGROUND_COMMANDS`` (functions from a folder of the
command's own to a ``Command``; one may call ``pytest.skip`` where the machine cannot run it, and
its tests are then skipped with that reason). When the run is known to hold the module's tests,
the suite starts them as soon as it has collected (conftest): the commands that compute one
after another in a thread of their own, so that they run beside the in-process tests, which
leave a core idle much of the time, and a command that mostly waits (``queued=False``: the
install, on the package index) at once beside them. The tests then ask for the result
(``finished``) and wait for it where it is not in yet. Run alone, or on a pytest-xdist worker, a
test runs its command when it asks for it. Either way each command runs once per run, and its
time is printed at the end beside the slowest tests.
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
    # False: started at once in a thread of its own, not behind the others: for a command that
    # mostly waits on the network rather than the cores.
    queued: bool = True


@dataclass(frozen=True)
class Finished:
    """What a command left: its exit status, output, folder and how long it ran."""

    returncode: int
    stdout: str
    stderr: str
    workdir: Path
    seconds: float


CommandFactory = Callable[[Path], Command]  # may call pytest.skip


class Background:
    """Commands run in order in one thread (the rest each in its own); each result is kept
    until the run ends."""

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="healthcare-dataops-background-"))
        self._factories: list[CommandFactory] = []
        # A result, or the skip its factory called for.
        self._done: dict[str, Finished | BaseException] = {}
        self._ready: dict[str, threading.Event] = {}
        self._lock = threading.Lock()
        self._queue: threading.Thread | None = None
        self._running: set[subprocess.Popen] = set()

    def queue(self, factory: CommandFactory) -> None:
        if factory.__name__ not in self._ready:
            self._factories.append(factory)
            self._ready[factory.__name__] = threading.Event()

    def start(self) -> None:
        queued: list[tuple[str, Command]] = []
        for factory in self._factories:
            if (command := self._prepare(factory)) is None:
                continue
            if command.queued:
                queued.append((factory.__name__, command))
            else:
                threading.Thread(target=self._run, args=(factory.__name__, command), name=factory.__name__,
                                 daemon=True).start()
        if queued:
            self._queue = threading.Thread(target=lambda: [self._run(*each) for each in queued],
                                           name="background-commands", daemon=True)
            self._queue.start()

    def _prepare(self, factory: CommandFactory) -> Command | None:
        """The factory's command, in a new folder; None where its result is already in (a skip,
        or the error that kept it from starting)."""
        name = factory.__name__
        workdir = self.root / name
        workdir.mkdir()
        try:
            return factory(workdir)
        except pytest.skip.Exception as skip:
            self._finish(name, skip)
        except Exception as error:  # the waiting test reports it, with its cause
            self._finish(name, Finished(-1, "", f"{name} could not start: {error!r}", workdir, 0.0))
        return None

    def _run(self, name: str, command: Command) -> None:
        started = time.monotonic()
        try:
            # A group of its own: stopped whole (its servers and engines too) if the run ends first.
            process = subprocess.Popen(list(command.argv), cwd=command.cwd, env=command.env, text=True,
                                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                                       start_new_session=True)
        except OSError as error:
            self._finish(name, Finished(-1, "", f"{name} could not start: {error!r}", self.root / name, 0.0))
            return
        self._running.add(process)
        try:
            stdout, stderr = process.communicate(timeout=command.timeout)
        except subprocess.TimeoutExpired:
            _stop(process)
            stdout, stderr = process.communicate()
            stderr += f"\n{name} timed out after {command.timeout:.0f} s"
        finally:
            self._running.discard(process)
        self._finish(name, Finished(process.returncode, stdout, stderr, self.root / name, time.monotonic() - started))

    def _finish(self, name: str, result: Finished | BaseException) -> None:
        with self._lock:
            self._done[name] = result
        self._ready[name].set()

    def finished(self, factory: CommandFactory) -> Finished:
        """The command's result: waited for if queued, run now if not; its skip, raised."""
        name = factory.__name__
        with self._lock:
            queued = name in self._ready
            if not queued:
                self._ready[name] = threading.Event()
        if not queued and (command := self._prepare(factory)) is not None:
            self._run(name, command)
        self._ready[name].wait()
        result = self._done[name]
        if isinstance(result, BaseException):
            raise result
        return result

    def wait_for_queue(self) -> None:
        """Until every queued command has ended (not those started beside the queue)."""
        if self._queue is not None:
            self._queue.join()

    def times(self) -> list[tuple[str, float]]:
        return [(name, done.seconds) for name, done in self._done.items() if isinstance(done, Finished)]

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

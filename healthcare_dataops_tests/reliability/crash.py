"""Crash tests' tools: the ``dagster`` CLI in a process group of its own, SIGKILLed the moment
a watched folder shows a write in progress, and what a lakehouse holds, table by table."""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import re
import select
import signal
import struct
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from deltalake import DeltaTable

from healthcare_dataops_tests.project_env import project_environment

DEFINITIONS_MODULE = "healthcare_dataops.definitions"
_COMMIT_FILE = re.compile(r"^(\d{20})\.json$")
# A data file, finished or still being written: the local object store writes ``name#N``
# and renames it when the file is complete.
_DATA_FILE = re.compile(r"\.parquet(#\d+)?$")


def cli_env(root: Path, landing: Path) -> dict[str, str]:
    """The CLI's environment on ``landing``, with the instance, lakehouse and MLflow store under ``root``."""
    return project_environment(root / "dagster_home", landing, root)


def materialize_argv(select: list[str], partition: str | None, run_config: dict | None = None) -> list[str]:
    """``dagster asset materialize`` of ``select`` (for the delivery day ``partition``, where
    the assets are daily ones)."""
    argv = [str(Path(sys.executable).with_name("dagster")), "asset", "materialize", "-m", DEFINITIONS_MODULE,
            "--select", ",".join(select), *(["--partition", partition] if partition else [])]
    if run_config:
        argv += ["--config-json", json.dumps(run_config)]
    return argv


# --------------------------------------------------------------------------- Delta on disk


def committed_version(table: Path) -> int:
    """The newest commit file in the table's log (-1: none), read from the folder itself."""
    log = table / "_delta_log"
    versions = [int(m.group(1)) for m in map(_COMMIT_FILE.match, os.listdir(log)) if m] if log.is_dir() else []
    return max(versions, default=-1)


def data_files(table: Path) -> set[str]:
    """Every data file under the table, relative to it, ``#N`` staging files included."""
    found = set()
    for folder, dirs, files in os.walk(table):
        dirs[:] = [d for d in dirs if d != "_delta_log"]
        for name in files:
            if _DATA_FILE.search(name):
                found.add(os.path.relpath(os.path.join(folder, name), table))
    return found


def referenced_files(table: Path) -> set[str]:
    """The data files of the table's current snapshot, relative to it."""
    from urllib.parse import unquote

    return {os.path.relpath(unquote(uri.removeprefix("file://")), table) for uri in DeltaTable(str(table)).file_uris()}


@dataclass
class WriteInProgress:
    """Triggers when ``table`` holds a data file that was not there before while its log has
    no commit newer than before: the writer is between its first file and its commit."""

    table: Path
    files_before: set[str] | None = None
    version_before: int = -1

    @property
    def root(self) -> Path:
        return self.table

    def arm(self) -> WriteInProgress:
        self.files_before = data_files(self.table) if self.table.is_dir() else set()
        self.version_before = committed_version(self.table)
        return self

    def __call__(self) -> str | None:
        if not self.table.is_dir():
            return None
        new = data_files(self.table) - self.files_before
        if new and committed_version(self.table) == self.version_before:
            return f"{len(new)} new data file(s) in {self.table.name} and no commit after v{self.version_before}"
        return None

    def caught(self) -> bool:
        """The kill came mid-write: a file of the write is on disk and its commit is not."""
        return committed_version(self.table) == self.version_before and bool(self.orphans())

    def orphans(self) -> set[str]:
        """Data files on disk that the table's log does not reference: the killed write's."""
        return data_files(self.table) - self.files_before - referenced_files(self.table)


@dataclass
class FilesAppear:
    """Triggers when files appear under ``folder`` (which may not exist yet)."""

    folder: Path
    before: set[str] | None = None

    @property
    def root(self) -> Path:
        return self.folder

    def arm(self) -> FilesAppear:
        self.before = self._files()
        return self

    def _files(self) -> set[str]:
        if not self.folder.is_dir():
            return set()
        return {str(p.relative_to(self.folder)) for p in self.folder.rglob("*") if p.is_file()}

    def new(self) -> set[str]:
        return self._files() - self.before

    def caught(self) -> bool:
        return bool(self.new())

    def __call__(self) -> str | None:
        new = self.new()
        return f"{len(new)} new file(s) under {self.folder.name}: {sorted(new)[:3]}" if new else None


# --------------------------------------------------------------------------- the kill


class FolderEvents:
    """Linux inotify on a folder tree (folders created later included), so that the poll loop
    wakes the moment a writer creates a file instead of up to a poll interval later: a small
    Delta write goes from its first data file to its commit in about a millisecond."""

    _CREATE, _MOVED_TO, _ISDIR, _NONBLOCK = 0x100, 0x80, 0x40000000, 0o4000
    _HEADER = struct.Struct("iIII")

    def __init__(self, roots: list[Path]):
        self._libc = ctypes.CDLL(None, use_errno=True)
        self.fd = self._libc.inotify_init1(self._NONBLOCK | os.O_CLOEXEC)
        if self.fd < 0:
            raise OSError(ctypes.get_errno(), "inotify_init1")
        self._folders: dict[int, str] = {}
        for root in roots:
            for folder, _dirs, _files in os.walk(root):
                self._add(folder)

    def _add(self, folder: str) -> None:
        wd = self._libc.inotify_add_watch(self.fd, os.fsencode(folder), self._CREATE | self._MOVED_TO)
        if wd >= 0:
            self._folders[wd] = folder

    def wait(self, timeout_s: float) -> None:
        """Until something is created under the roots, or ``timeout_s``; new folders are watched."""
        ready, _, _ = select.select([self.fd], [], [], timeout_s)
        if not ready:
            return
        try:
            data = os.read(self.fd, 1 << 16)
        except BlockingIOError:
            return
        offset = 0
        while offset < len(data):
            wd, mask, _cookie, length = self._HEADER.unpack_from(data, offset)
            name = data[offset + self._HEADER.size: offset + self._HEADER.size + length].rstrip(b"\0")
            offset += self._HEADER.size + length
            if mask & self._ISDIR and wd in self._folders:
                self._add(os.path.join(self._folders[wd], os.fsdecode(name)))

    def close(self) -> None:
        os.close(self.fd)



class WriteNotCaught(AssertionError):
    """The run finished the watched write before the watcher could kill it mid-way."""


@dataclass
class Kill:
    pid: int  # of the CLI, which led its process group
    reason: str
    seconds_after_start: float
    exit_code: int
    log: Path


@contextlib.contextmanager
def _first_in_line():
    """The watching process runs ahead of everything else on the machine while it watches (it
    sleeps between checks): on a busy machine a waking watcher otherwise waits its turn while
    the writer finishes. Real-time where allowed, else the highest nice level, else as is."""
    policy, nice = os.sched_getscheduler(0), os.getpriority(os.PRIO_PROCESS, 0)
    param = os.sched_getparam(0)
    try:
        # Reset on fork: nothing this process starts inherits the priority.
        os.sched_setscheduler(0, os.SCHED_FIFO | os.SCHED_RESET_ON_FORK, os.sched_param(1))
    except OSError:
        with contextlib.suppress(OSError):
            os.setpriority(os.PRIO_PROCESS, 0, -10)
    try:
        yield
    finally:
        with contextlib.suppress(OSError):
            os.sched_setscheduler(0, policy, param)
        with contextlib.suppress(OSError):
            os.setpriority(os.PRIO_PROCESS, 0, nice)


def run_and_kill(argv: list[str], env: dict[str, str], log: Path, trigger: Callable[[], str | None],
                 timeout_s: float = 240, every_s: float = 0.001) -> Kill:
    """Start ``argv`` in a process group of its own, poll ``trigger`` every ``every_s`` and
    whenever a file is created under ``trigger.root``, and SIGKILL the whole group (the CLI and any
    process it started) as soon as it fires."""
    events = FolderEvents([trigger.root])
    with log.open("wb") as out:
        started = time.monotonic()
        process = subprocess.Popen(argv, env=env, stdout=out, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL, start_new_session=True)
        try:
            with _first_in_line():
                while time.monotonic() - started < timeout_s:
                    reason = trigger()
                    if reason is not None:
                        os.killpg(process.pid, signal.SIGKILL)
                        return Kill(process.pid, reason, time.monotonic() - started, process.wait(timeout=30), log)
                    if process.poll() is not None:
                        raise WriteNotCaught(f"the run ended (exit {process.returncode}) before the write to "
                                             f"kill in:\n{log.read_text(errors='replace')[-4000:]}")
                    events.wait(every_s)
            raise AssertionError(f"no write to kill within {timeout_s} s:\n{log.read_text(errors='replace')[-4000:]}")
        finally:
            events.close()
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=30)


def group_members(pgid: int) -> list[str]:
    """The live (not zombie) processes of a process group, as ``pid state command``."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        command, fields = stat[stat.index("(") + 1: stat.rindex(")")], stat[stat.rindex(")") + 2:].split()
        if int(fields[2]) == pgid and fields[0] != "Z":
            found.append(f"{entry} {fields[0]} {command}")
    return found


def group_gone(pgid: int, within_s: float = 5) -> bool:
    deadline = time.monotonic() + within_s
    while group_members(pgid) and time.monotonic() < deadline:
        time.sleep(0.05)
    return not group_members(pgid)


# --------------------------------------------------------------------------- lakehouse state


def delta_tables(lakehouse: Path) -> list[Path]:
    return sorted(p.parent for p in lakehouse.glob("*/*/_delta_log"))


def state(lakehouse: Path) -> dict[str, tuple[int, int]]:
    """layer/table → (version, rows) as a reader opening it now sees it."""
    found = {}
    for table in delta_tables(lakehouse):
        delta = DeltaTable(str(table))
        found[f"{table.parent.name}/{table.name}"] = (delta.version(), delta.to_pyarrow_dataset().count_rows())
    return found


def frame(table: Path, drop: tuple[str, ...] = (), round_doubles: bool = False) -> pd.DataFrame:
    """The table's rows in a stable order, without the columns a re-run may change;
    ``round_doubles``: doubles to 12 significant digits, where a column is a mean the engine may
    add up in another order on a re-run (the last ulp, as the engine parity tests allow)."""
    data = DeltaTable(str(table)).to_pandas()
    data = data.drop(columns=[c for c in drop if c in data.columns])
    if round_doubles:
        for column in data.select_dtypes("float64").columns:
            data[column] = data[column].map(lambda v: float(f"{v:.12g}"))
    data = data[sorted(data.columns)].astype(str)
    return data.sort_values(list(data.columns)).reset_index(drop=True)

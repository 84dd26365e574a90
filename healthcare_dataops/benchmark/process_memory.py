"""Peak memory of a process and everything it starts, sampled while it runs.

The figure is the largest sum of resident set sizes seen over the process tree: Sail runs
inside the Dagster run process, but a JVM Connect server or a run worker would be children.
Pages shared between processes count once per process, so the sum errs high, never low.

With a limit, a tree that grows past it is killed: a run that would exhaust the machine's
memory makes it swap or stall every other process long before the kernel's OOM killer acts.
"""

from __future__ import annotations

import threading
import time

import psutil

SAMPLE_EVERY_SECONDS = 0.1


class PeakMemory:
    """Samples ``pid``'s tree in a thread from ``__enter__`` until ``__exit__``."""

    def __init__(self, pid: int, limit_bytes: int | None = None) -> None:
        self._pid = pid
        self._limit = limit_bytes
        self.killed_at_limit = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self.peak_bytes = 0
        # (time.time(), bytes): to line up with the event log, and find each step's peak.
        self.samples: list[tuple[float, int]] = []

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._stop.set()
        self._thread.join()

    def _sample(self) -> None:
        try:
            root = psutil.Process(self._pid)
        except psutil.NoSuchProcess:  # it exited before the first sample: nothing to count
            return
        while not self._stop.is_set():
            rss = tree_rss(root)
            self.samples.append((time.time(), rss))
            self.peak_bytes = max(self.peak_bytes, rss)
            if self._limit is not None and rss > self._limit and not self.killed_at_limit:
                self.killed_at_limit = True
                kill_tree(root)
            self._stop.wait(SAMPLE_EVERY_SECONDS)


def tree_rss(root: psutil.Process) -> int:
    total = 0
    try:
        processes = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0
    for process in processes:
        try:
            total += process.memory_info().rss
        except psutil.NoSuchProcess:  # exited between the listing and the reading
            pass
    return total


def kill_tree(root: psutil.Process) -> None:
    try:
        processes = [*root.children(recursive=True), root]
    except psutil.NoSuchProcess:
        return
    for process in processes:
        try:
            process.kill()
        except psutil.NoSuchProcess:
            pass


def default_limit_bytes() -> int:
    """85% of the machine's memory: room for the benchmark itself and the system."""
    return int(psutil.virtual_memory().total * 0.85)

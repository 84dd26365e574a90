"""The pipeline as a user runs it: the ``dagster`` CLI in a process of its own, its memory watched."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from healthcare_dataops.benchmark.process_memory import PeakMemory, default_limit_bytes

DEFINITIONS_MODULE = "healthcare_dataops.definitions"


@dataclass(frozen=True)
class CliRun:
    command: tuple[str, ...]
    started_at: float  # time.time() at launch, to line up with the event log's timestamps
    seconds: float
    peak_memory_bytes: int
    memory_samples: list[tuple[float, int]]
    log: Path
    exit_code: int
    memory_limit_bytes: int | None = None
    killed_at_memory_limit: bool = False

    @property
    def failure(self) -> str | None:
        """None when the command succeeded; else how it ended (a signal is an OOM kill, most often)."""
        if self.exit_code == 0:
            return None
        if self.killed_at_memory_limit:
            return f"was stopped by the benchmark at its memory limit of {self.memory_limit_bytes / 2**30:.1f} GiB"
        if self.exit_code < 0:
            return f"killed by signal {-self.exit_code}"
        return f"exited with {self.exit_code}"

    def summary(self) -> dict[str, object]:
        return {"seconds": self.seconds, "peak_memory_bytes": self.peak_memory_bytes,
                "launched_at": self.started_at, "failure": self.failure, "log": str(self.log),
                "killed_at_memory_limit": self.killed_at_memory_limit}


def materialize_all(
    partition_range: tuple[str, str], run_config: dict, env: dict[str, str], log: Path
) -> CliRun:
    first, last = partition_range
    return run_cli(
        ("asset", "materialize", "-m", DEFINITIONS_MODULE, "--select", "*",
         "--partition-range", f"{first}...{last}", "--config-json", json.dumps(run_config)),
        env, log,
    )


def execute_job(job: str, partition: str, env: dict[str, str], log: Path) -> CliRun:
    return run_cli(
        ("job", "execute", "-m", DEFINITIONS_MODULE, "-j", job, "--tags", f'{{"dagster/partition": "{partition}"}}'),
        env, log,
    )


def run_cli(arguments: tuple[str, ...], env: dict[str, str], log: Path) -> CliRun:
    command = (str(Path(sys.executable).with_name("dagster")), *arguments)
    with log.open("wb") as out:
        started_at, started = time.time(), time.perf_counter()
        process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
        limit = default_limit_bytes()
        with PeakMemory(process.pid, limit_bytes=limit) as memory:
            code = process.wait()
        seconds = time.perf_counter() - started
    # A failed run is a result too: its steps so far and its memory are still reported.
    return CliRun(command, started_at, seconds, memory.peak_bytes, memory.samples, log, code, limit,
                  memory.killed_at_limit)

"""One scale, end to end: feeds, the cold full graph, the end-to-end DuckDB baseline, the
engines, one more day, the sensor."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

import dagster as dg

from healthcare_dataops import settings
from healthcare_dataops.benchmark import dagster_cli
from healthcare_dataops.benchmark.lakehouse_export import export_step_inputs
from healthcare_dataops.benchmark.process_memory import PeakMemory
from healthcare_dataops.benchmark.run_stats import RunStats, attach_peak_memory, latest_run_stats
from healthcare_dataops.benchmark.scales import Scale
from healthcare_dataops.benchmark.sensor_tick import SensorTick, time_drift_sensor
from healthcare_dataops.generate.runner import Options, Summary, generate

START = dt.date(2026, 1, 1)
DAILY_JOB = "daily_pipeline_job"
# The comparison's engines: the baseline, the embedded engine, and JVM Spark on every core.
ENGINES = ("duckdb", "sail", "local[*]")
# JVM Spark's default 1 GiB driver (its executors too, in local mode) spills at medium scale.
JVM_DRIVER_MEMORY = "4g"


@dataclass
class ScaleResult:
    scale: Scale
    workdir: Path
    generated: dict[str, object]
    cold: dict[str, object]
    cold_stats: RunStats
    # None where the cold run failed: nothing after it can be measured.
    incremental: dict[str, object] | None = None
    incremental_stats: RunStats | None = None
    engines: dict[str, dict] | None = None
    sensor_tick: SensorTick | None = None
    # The DuckDB baseline from the cold run's landing files (``end_to_end_timing``).
    end_to_end: dict | None = None

    @property
    def complete(self) -> bool:
        return self.cold["failure"] is None and self.incremental is not None

    def to_json(self) -> dict:
        return json.loads(json.dumps(dataclasses.asdict(self), default=str))

    @classmethod
    def from_json(cls, data: dict) -> ScaleResult:
        """A result as ``to_json`` wrote it, to render again."""
        def run_stats(stats: dict | None) -> RunStats | None:
            return None if stats is None else RunStats.from_json(stats)

        return cls(
            Scale(**data["scale"]), Path(data["workdir"]), data["generated"], data["cold"],
            run_stats(data["cold_stats"]), data["incremental"], run_stats(data["incremental_stats"]),
            data["engines"], SensorTick(**data["sensor_tick"]) if data["sensor_tick"] else None,
            data.get("end_to_end"),
        )


def run_scale(scale: Scale, workdir: Path, log=print) -> ScaleResult:
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)
    env = pipeline_env(workdir)
    days = [START + dt.timedelta(days=n) for n in range(scale.days + 1)]

    log(f"[{scale.name}] generating {scale.patients:,} patients × {scale.days + 1} days")
    summary = generate(Options(landing=workdir / "landing", side=workdir / "generator", patients=scale.patients,
                               days=scale.days + 1, start_date=START, epoch=START))
    generated = generated_feeds(summary, workdir / "landing")

    log(f"[{scale.name}] the full graph, cold, for {days[0]}...{days[-2]}")
    cold = dagster_cli.materialize_all(
        (days[0].isoformat(), days[-2].isoformat()), scale.run_config(), env, workdir / "cold.log"
    )
    parents = asset_parents()
    cold_stats = latest_run_stats(workdir / "dagster_home", parents)
    attach_peak_memory(cold_stats, cold.memory_samples)
    result = ScaleResult(scale, workdir, generated, cold.summary(), cold_stats)

    # From the files alone: measured even where the cold run failed, beside the steps it finished.
    log(f"[{scale.name}] the same landing files end to end on DuckDB")
    result.end_to_end = time_end_to_end(workdir / "landing", (days[0], days[-2]), workdir / "end_to_end", env)
    if cold.failure:
        log(f"[{scale.name}] the cold run {cold.failure} in {cold_stats.stopped_in} (log {cold.log})")
        return result

    log(f"[{scale.name}] the two heaviest steps on {', '.join(ENGINES)}")
    inputs = workdir / "step_inputs"
    generated["step_inputs"] = export_step_inputs(workdir / "lakehouse", inputs)
    result.engines = {engine: time_engine(engine, inputs, workdir / "engine_out", env) for engine in ENGINES}

    log(f"[{scale.name}] one more day: {DAILY_JOB} for {days[-1]}")
    incremental = dagster_cli.execute_job(DAILY_JOB, days[-1].isoformat(), env, workdir / "incremental.log")
    result.incremental_stats = latest_run_stats(workdir / "dagster_home", parents)
    attach_peak_memory(result.incremental_stats, incremental.memory_samples)
    if incremental.failure:
        raise RuntimeError(f"{DAILY_JOB} {incremental.failure} after a cold run that succeeded (log {incremental.log})")
    result.incremental = incremental.summary()
    result.sensor_tick = time_drift_sensor(workdir / "dagster_home")
    return result


def pipeline_env(workdir: Path) -> dict[str, str]:
    """The embedded defaults, with every store inside ``workdir``."""
    home = workdir / "dagster_home"
    home.mkdir(exist_ok=True)
    shutil.copy(settings.project_root() / "dagster.yaml", home / "dagster.yaml")
    return {
        **os.environ,
        "DAGSTER_HOME": str(home),
        settings.DATA_DIR: str(workdir),
        settings.LANDING_ROOT: str(workdir / "landing"),
        settings.LAKEHOUSE_ROOT: str(workdir / "lakehouse"),
        settings.MLFLOW_TRACKING_URI: f"sqlite:///{workdir / 'mlflow' / 'mlflow.db'}",
        settings.MLFLOW_ARTIFACT_ROOT: str(workdir / "mlflow" / "artifacts"),
        settings.FIRST_DELIVERY_DAY: START.isoformat(),
        "DO_NOT_TRACK": "true",
        "MLFLOW_DISABLE_TELEMETRY": "true",
        # As scripts/env.sh sets it for every user of the CLI: a run's plan as one event per asset.
        "DAGSTER_EMIT_PARTITION_SUBSET_IN_PLANNED_EVENTS": "true",
    }


def time_engine(engine: str, inputs: Path, out: Path, env: dict[str, str]) -> dict:
    result = timing_process("engine_timing", ["--engine", engine, "--inputs", str(inputs), "--out", str(out / engine)],
                            {**env, "SPARK_DRIVER_MEMORY": JVM_DRIVER_MEMORY})
    shutil.rmtree(out / engine, ignore_errors=True)
    return result


def time_end_to_end(landing: Path, days: tuple[dt.date, dt.date], out: Path, env: dict[str, str]) -> dict:
    """The baseline over the days the cold run covered (the landing folder holds one more)."""
    first, last = days
    return timing_process("end_to_end_timing", ["--landing", str(landing), "--first-day", first.isoformat(),
                                                "--last-day", last.isoformat(), "--out", str(out)], env)


def timing_process(module: str, arguments: list[str], env: dict[str, str]) -> dict:
    """A timing module's JSON, with its process's seconds and peak memory (its whole tree)."""
    command = [sys.executable, "-m", f"healthcare_dataops.benchmark.{module}", *arguments]
    started = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    with PeakMemory(process.pid) as memory:
        stdout, stderr = process.communicate()
    if process.returncode != 0:
        raise RuntimeError(f"{module} {' '.join(arguments)} exited with {process.returncode}:\n{stderr[-3000:]}")
    result = json.loads(stdout.strip().splitlines()[-1])
    return {**result, "process_seconds": time.perf_counter() - started, "peak_memory_bytes": memory.peak_bytes}


def asset_parents() -> dict[str, list[str]]:
    with warnings.catch_warnings():
        # The run's own log already carries Dagster's beta warnings about backfill policies.
        warnings.simplefilter("ignore", dg.BetaWarning)
        from healthcare_dataops.definitions import defs

    graph = defs.resolve_asset_graph()
    return {key.to_user_string(): [p.to_user_string() for p in graph.get(key).parent_keys]
            for key in graph.get_all_asset_keys()}


def generated_feeds(summary: Summary, landing: Path) -> dict[str, object]:
    files = [p for p in landing.rglob("*") if p.is_file()]
    return {"seconds": summary.seconds, "files": len(files), "bytes": sum(p.stat().st_size for p in files),
            "rows": dict(summary.rows)}

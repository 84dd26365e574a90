"""Do the heavy steps get faster with more engine workers?

``healthcare-dataops benchmark --engine-workers 1,2`` generates a few days of a scale's feeds
once, then materializes the silver wearable readings and what they are built from (the
wearable and patient bronze, device enrollments, patients) over them cold, once per worker
count, each in a fresh lakehouse and instance. The embedded engine runs in Sail's local
cluster mode: a driver and N workers, the engine's parallelism N, so that a stage runs N tasks
at once. The same code, unchanged, is what a Spark Connect cluster runs; only the engine's
settings differ between the runs.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import shutil
from dataclasses import dataclass
from pathlib import Path

from healthcare_dataops import settings
from healthcare_dataops.benchmark import dagster_cli
from healthcare_dataops.benchmark.run_stats import RunStats, latest_run_stats
from healthcare_dataops.benchmark.scale_run import START, asset_parents, generated_feeds, pipeline_env
from healthcare_dataops.benchmark.scales import Scale, parse_counts
from healthcare_dataops.generate.runner import Options, generate

# The readings and everything upstream of them, with the other assets of each multi-asset
# (a bronze step writes its quarantine too); the table reports the steps whose rows grow with
# the wearable feeds.
SELECTION = "+wearable_readings"
ENGINE_STEPS = ("wearable_bronze", "device_enrollments_silver", "wearable_readings_silver")
DEFAULT_DAYS = 3


# Sail schedules a task region (the stages it pipelines together) at once and refuses one
# that needs more slots than the cluster has: the readings' checks read a partition range as
# one region of 21 tasks. Slots only bound what may be scheduled; the engine's parallelism
# sets how many tasks a stage runs, so generous slots cost nothing.
TASK_SLOTS_PER_WORKER = 64


def workers_engine_env(workers: int) -> dict[str, str]:
    """The embedded engine's settings (read when its server starts) for ``workers`` workers:
    Sail's local cluster mode with that many, and an engine parallelism of ``workers`` (a
    stage's tasks, one a worker).

    One worker is the embedded engine in its usual mode with one task at a time: Sail 0.7.2's
    local cluster fails a stage of one partition that computes some functions (``replace``,
    ``regexp_count``, ``size``: "ExtendedScalarUdf: no UDF found"), which any single-task
    stage of bronze's line parse is; two or more partitions run."""
    if workers == 1:
        return {"SAIL_EXECUTION__DEFAULT_PARALLELISM": "1", settings.ENGINE_PARALLELISM: "1"}
    return {
        "SAIL_MODE": "local-cluster",
        "SAIL_CLUSTER__WORKER_INITIAL_COUNT": str(workers),
        "SAIL_CLUSTER__WORKER_MAX_COUNT": str(workers),
        "SAIL_CLUSTER__WORKER_TASK_SLOTS": str(TASK_SLOTS_PER_WORKER),
        "SAIL_EXECUTION__DEFAULT_PARALLELISM": str(workers),
        settings.ENGINE_PARALLELISM: str(workers),
    }


@dataclass
class WorkersRun:
    workers: int
    cold: dict[str, object]  # CliRun.summary()
    stats: RunStats

    def step_seconds(self, step: str) -> float | None:
        found = next((s for s in self.stats.steps if s.step == step and s.finished), None)
        return found.seconds if found else None


@dataclass
class WorkersResult:
    scale: Scale
    days: int
    workdir: Path
    generated: dict[str, object]
    runs: list[WorkersRun]

    def to_json(self) -> dict:
        return json.loads(json.dumps(dataclasses.asdict(self), default=str))

    @classmethod
    def from_json(cls, data: dict) -> WorkersResult:
        runs = [WorkersRun(r["workers"], r["cold"], RunStats.from_json(r["stats"])) for r in data["runs"]]
        return cls(Scale(**data["scale"]), data["days"], Path(data["workdir"]), data["generated"], runs)


def parse_worker_counts(text: str) -> list[int]:
    return parse_counts(text, "--engine-workers", "1,2")


def selected_assets() -> str:
    """SELECTION as the CLI's ``--select`` takes it: asset keys, comma-separated."""
    import dagster as dg

    from healthcare_dataops.definitions import defs

    selection = dg.AssetSelection.upstream(dg.AssetSelection.assets(SELECTION.lstrip("+")))
    keys = selection.required_multi_asset_neighbors().resolve(defs.resolve_asset_graph())
    return ",".join(sorted(key.to_user_string() for key in keys))


def run_worker_counts(scale: Scale, counts: list[int], workdir: Path, days: int = DEFAULT_DAYS,
                      log=print) -> WorkersResult:
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)
    landing = workdir / "landing"
    log(f"[{scale.name} engine workers] generating {scale.patients:,} patients × {days} days")
    summary = generate(Options(landing=landing, side=workdir / "generator", patients=scale.patients,
                               days=days, start_date=START, epoch=START))
    result = WorkersResult(scale, days, workdir, generated_feeds(summary, landing), [])
    parents = asset_parents()
    selected = selected_assets()
    last = START + dt.timedelta(days=days - 1)
    for workers in counts:
        log(f"[{scale.name} engine workers] {SELECTION} on {workers} worker(s), in a fresh lakehouse")
        run_dir = workdir / f"workers_{workers}"
        run_dir.mkdir()
        env = {**pipeline_env(run_dir), settings.LANDING_ROOT: str(landing), **workers_engine_env(workers)}
        cold = dagster_cli.run_cli(
            ("asset", "materialize", "-m", dagster_cli.DEFINITIONS_MODULE, "--select", selected,
             "--partition-range", f"{START.isoformat()}...{last.isoformat()}"),
            env, run_dir / "cold.log",
        )
        stats = latest_run_stats(run_dir / "dagster_home", parents)
        result.runs.append(WorkersRun(workers, cold.summary(), stats))
        if cold.failure:
            log(f"[{scale.name} engine workers] the run on {workers} worker(s) {cold.failure} (log {cold.log})")
    return result


def workers_lines(result: WorkersResult) -> list[str]:
    scale, generated = result.scale, result.generated
    base = result.runs[0]
    lines = [
        f"## Engine workers: {scale.name}, {scale.patients:,} patients × {result.days} days", "",
        f"Feeds: {generated['files']:,} files, {generated['bytes'] / 2**20:,.0f} MiB "
        f"({generated['rows'].get('wearable_readings', 0):,} wearable readings), generated in "
        f"{generated['seconds']:.0f} s (not counted). Each count: `dagster asset materialize --select "
        f"{SELECTION}` cold, the embedded engine in Sail's local cluster mode (`SAIL_MODE=local-cluster`), "
        "that many workers, a stage's tasks one a worker (the engine's parallelism); 1: the embedded engine "
        "in its usual mode, one task at a time (Sail's local cluster fails single-partition stages that "
        "compute `replace`). Speed-up: over the first row.", "",
        "| workers | " + " | ".join(f"`{s}` s" for s in ENGINE_STEPS) + " | engine steps s | speed-up | outcome |",
        "|---:|" + "---:|" * len(ENGINE_STEPS) + "---:|---:|---|",
    ]
    for run in result.runs:
        steps = [run.step_seconds(s) for s in ENGINE_STEPS]
        total = sum(s for s in steps if s is not None) if all(s is not None for s in steps) else None
        base_steps = [base.step_seconds(s) for s in ENGINE_STEPS]
        base_total = sum(base_steps) if all(s is not None for s in base_steps) else None
        speed_up = f"{base_total / total:.2f}×" if total and base_total else ""
        outcome = "finished" if run.cold["failure"] is None else f"the command {run.cold['failure']}"
        cells = " | ".join(f"{s:.1f}" if s is not None else "" for s in steps)
        lines.append(f"| {run.workers} | {cells} | {f'{total:.1f}' if total else ''} | {speed_up} | {outcome} |")
    return [*lines, ""]

"""Backfills of different lengths: does a cold run's memory grow with the days it covers?

``healthcare-dataops benchmark --backfill-days 30,90`` generates the longest length's feeds
once, then runs the whole graph cold over the first N days of them, for each N, each in a
fresh lakehouse and instance: only the length differs. Memory should be bounded by a day's
(or a chunk's) work, so the longer backfill's peak should be close to the shorter one's.
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
from healthcare_dataops.benchmark.run_stats import RunStats, attach_peak_memory, latest_run_stats
from healthcare_dataops.benchmark.scale_run import START, asset_parents, generated_feeds, pipeline_env
from healthcare_dataops.benchmark.scales import Scale, parse_counts
from healthcare_dataops.generate.runner import Options, generate


@dataclass
class BackfillRun:
    days: int
    cold: dict[str, object]  # CliRun.summary()
    stats: RunStats

    @property
    def peak_step(self) -> str | None:
        steps = [s for s in self.stats.steps if s.peak_memory_bytes]
        return max(steps, key=lambda s: s.peak_memory_bytes).step if steps else None


@dataclass
class BackfillResult:
    scale: Scale
    workdir: Path
    generated: dict[str, object]
    runs: list[BackfillRun]

    def run(self, days: int) -> BackfillRun | None:
        return next((r for r in self.runs if r.days == days), None)

    def to_json(self) -> dict:
        return json.loads(json.dumps(dataclasses.asdict(self), default=str))

    @classmethod
    def from_json(cls, data: dict) -> BackfillResult:
        runs = [BackfillRun(r["days"], r["cold"], RunStats.from_json(r["stats"])) for r in data["runs"]]
        return cls(Scale(**data["scale"]), Path(data["workdir"]), data["generated"], runs)


def parse_backfill_days(text: str) -> list[int]:
    return parse_counts(text, "--backfill-days", "30,90")


def run_backfills(scale: Scale, lengths: list[int], workdir: Path, log=print) -> BackfillResult:
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)
    landing = workdir / "landing"
    log(f"[{scale.name} backfills] generating {scale.patients:,} patients × {max(lengths)} days")
    summary = generate(Options(landing=landing, side=workdir / "generator", patients=scale.patients,
                               days=max(lengths), start_date=START, epoch=START))
    result = BackfillResult(scale, workdir, generated_feeds(summary, landing), [])
    parents = asset_parents()
    for days in lengths:
        log(f"[{scale.name} backfills] the full graph, cold, over the first {days} days, in a fresh lakehouse")
        run_dir = workdir / f"days_{days}"
        run_dir.mkdir()
        # A lakehouse and an instance of its own; the feeds are shared.
        env = {**pipeline_env(run_dir), settings.LANDING_ROOT: str(landing)}
        last = START + dt.timedelta(days=days - 1)
        cold = dagster_cli.materialize_all((START.isoformat(), last.isoformat()), scale.run_config(), env,
                                           run_dir / "cold.log")
        stats = latest_run_stats(run_dir / "dagster_home", parents)
        attach_peak_memory(stats, cold.memory_samples)
        result.runs.append(BackfillRun(days, cold.summary(), stats))
        if cold.failure:
            log(f"[{scale.name} backfills] the {days}-day run {cold.failure} (log {cold.log})")
    return result


def peak_ratio(result: BackfillResult, short: int, long: int) -> float | None:
    """The long backfill's peak over the short one's. A long run stopped at the memory limit
    still counts (its peak is then a lower bound); one that failed otherwise does not."""
    short_run, long_run = result.run(short), result.run(long)
    if short_run is None or long_run is None or short_run.cold["failure"] or not short_run.cold["peak_memory_bytes"]:
        return None
    if long_run.cold["failure"] and not long_run.cold.get("killed_at_memory_limit"):
        return None
    return long_run.cold["peak_memory_bytes"] / short_run.cold["peak_memory_bytes"]

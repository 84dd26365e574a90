"""The MLOps loop, end to end: drifted feeds retrain, gate and redeploy the model unattended.

1. Baseline: deliver days, run the whole graph; the first model version becomes champion.
2. Control: more days from the same population, the daily pipeline, a drift sensor tick:
   no drift, no retraining.
3. Drift: days with the wearable firmware offset and an older population, the daily
   pipeline, a sensor tick: drift, one retrain_job request; the run registers and gates a new
   version and refreshes the scores. A second tick on the same report requests nothing.

Everything runs through the project's own jobs, sensor and assets, on a Dagster instance,
landing zone, lakehouse and MLflow store of the scenario's own.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from healthcare_dataops.defs.monitoring.feature_drift_report import FEATURE_DRIFT_REPORT
from healthcare_dataops.scenarios.world import ScenarioWorld

Say = Callable[[str], None]


@dataclass(frozen=True)
class Sizes:
    patients: int = 600
    baseline_days: int = 90
    control_days: int = 21
    drift_days: int = 60
    start: dt.date = dt.date(2026, 1, 1)
    drift: tuple[str, ...] = ("older-population", "heart-rate-firmware")
    # Small test panels give a first model too weak to clear the floor: deploy it anyway, as a
    # team deploys its first model by decision; every later version is gated.
    force_first_champion: bool = False


@dataclass(frozen=True)
class PhaseTiming:
    name: str
    days: int
    generate_seconds: float
    run_seconds: float


@dataclass
class Outcome:
    """What each phase saw, for the printout and for the tests."""

    baseline_version: str = ""
    control_drift_share: float | None = None
    control_requests: int = 0
    drift_share: float | None = None
    drift_requests: int = 0
    repeat_requests: int = 0
    retrain: dict = field(default_factory=dict)
    scores_version: str = ""
    # The drift report's dataset-drift threshold, as the report recorded it.
    drift_threshold: float | None = None
    # Each phase's delivery days and wall time: generating its feeds, then its runs and ticks.
    phases: list[PhaseTiming] = field(default_factory=list)

    @property
    def loop_closed(self) -> bool:
        """As the scenario says: the control did not retrain, the drift did once, a second tick did not."""
        return self.control_requests == 0 and self.drift_requests == 1 and self.repeat_requests == 0


def _days(start: dt.date, count: int) -> tuple[str, str]:
    return start.isoformat(), (start + dt.timedelta(days=count - 1)).isoformat()


def run(workdir: Path, sizes: Sizes = Sizes(), say: Say = print, model_config: dict | None = None) -> Outcome:
    world = ScenarioWorld(workdir, model_config or {})
    outcome = Outcome()

    generated_at = generate_seconds = 0.0

    def deliver(first: dt.date, count: int, drift: tuple[str, ...] = ()) -> tuple[str, str]:
        nonlocal generated_at, generate_seconds
        flags = [f for kind in drift for f in ("--drift", kind)]
        from healthcare_dataops.cli import main as cli

        started = time.perf_counter()
        cli([
            "generate", "--landing", str(world.landing), "--side", str(world.side), "--patients", str(sizes.patients),
            "--days", str(count), "--start-date", first.isoformat(), "--epoch", sizes.start.isoformat(),
            "--heart-rate-every-minutes", "15", "--quiet", *flags,
        ])
        generated_at = time.perf_counter()
        generate_seconds = generated_at - started
        return _days(first, count)

    def timed(name: str, days: int) -> None:
        """The phase since its delivery: its generation, then its runs and ticks."""
        outcome.phases.append(PhaseTiming(name, days, generate_seconds, time.perf_counter() - generated_at))

    first, last = deliver(sizes.start, sizes.baseline_days)
    say(f"== baseline: {sizes.patients} patients, delivery days {first}...{last}")
    world.run_graph(first, last, force=sizes.force_first_champion)
    outcome.baseline_version = world.champion_version()
    say(f"   risk_model v{outcome.baseline_version} is champion: {world.model_summary()}")
    timed("baseline", sizes.baseline_days)

    control_start = sizes.start + dt.timedelta(days=sizes.baseline_days)
    first, last = deliver(control_start, sizes.control_days)
    say(f"== control: the same population, {first}...{last}")
    world.run_daily_pipeline(first, last)
    outcome.control_drift_share, requests = world.tick_drift_sensor(say)
    outcome.control_requests = len(requests)
    timed("control", sizes.control_days)

    drift_start = control_start + dt.timedelta(days=sizes.control_days)
    first, last = deliver(drift_start, sizes.drift_days, sizes.drift)
    say(f"== drift: {', '.join(sizes.drift)} from {first}, through {last}")
    world.run_daily_pipeline(first, last)
    outcome.drift_share, requests = world.tick_drift_sensor(say)
    outcome.drift_threshold = world.latest_metadata(FEATURE_DRIFT_REPORT).get("drift_threshold")
    outcome.drift_requests = len(requests)
    for request in requests:
        outcome.retrain = world.run_retrain(request)
        old, new = outcome.retrain.get("champion_holdout_auroc"), outcome.retrain.get("holdout_auroc")
        say(f"   retrain_job: risk_model v{outcome.retrain['model_version']} is {outcome.retrain['alias']} "
            f"({outcome.retrain['decision']})")
        say(f"   AUROC on the drifted holdout: old champion v{outcome.baseline_version} {_fmt(old)}, "
            f"new version {_fmt(new)}")
    _, repeat = world.tick_drift_sensor(say)
    outcome.repeat_requests = len(repeat)
    outcome.scores_version = world.scores_version(last)
    timed("drift, retraining and rescoring", sizes.drift_days)
    say(f"   patient_risk_scores for {last}: "
        + (f"scored by v{outcome.scores_version}" if outcome.scores_version else "not refreshed (no retraining)")
        + f"; champion now v{world.champion_version()}")
    return outcome


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.4f}"


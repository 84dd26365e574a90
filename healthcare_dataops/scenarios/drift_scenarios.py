"""Drift that fires for the right reasons, proven both ways on generated feeds.

From one baseline (feeds delivered, the whole graph run, its first version champion), each
scenario delivers more days and runs the project's daily pipeline a chunk of days at a time,
a drift report after each chunk and a drift sensor tick after each report, and runs the
retraining the sensor requests:

* **steady**: nothing changes after the baseline: no retraining;
* **recalibrated-analyzer**: citycore's analyzer reports one important lab analyte (the daily
  key lab whose last value the baseline champion leans on most) about two standard deviations
  high: the silver monitor names citycore and the analyte, the report finds drift, the sensor
  requests one retraining, gated against the old champion on the same holdout;
* **older-population**: new patients and admissions skew much older: drift, one retraining;
* **unimportant-features**: citycore's analyzer reports the key lab the champion leans on least
  high, and one vendor's firmware reports heart rate 8 bpm high, inputs the model hardly uses:
  the monitors name both sources; no retraining.

The scenarios themselves (what each changes, what each must lead to) are ``drift_catalog``.

Everything runs through the project's own jobs, sensor and assets, on a landing zone,
lakehouse, MLflow store and Dagster instance of the scenario's own, restored from the
baseline before each scenario.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from healthcare_dataops.model_health import serving_skew
from healthcare_dataops.scenarios.drift_catalog import BY_NAME, CITYCORE, SCENARIOS, Scenario, resolved
from healthcare_dataops.scenarios.world import ScenarioWorld

__all__ = ["BY_NAME", "CITYCORE", "SCENARIOS", "ScenarioOutcome", "ScenarioRun", "Sizes", "build_baseline", "run",
           "run_scenario"]

Say = Callable[[str], None]


@dataclass(frozen=True)
class Sizes:
    """The full size: a baseline whose first model, with the 30-day embargo, trains on about 400
    admissions (fewer leave a model whose feature importance says little), and two reports per
    scenario."""

    patients: int = 1000
    baseline_days: int = 120
    scenario_days: int = 60
    report_every_days: int = 30
    # Open stays scored on every this many days (and each chunk's last; 0: never), as the
    # automation sensor scores every day in a deployment: what the live AUROC and the
    # scored-stays monitor see.
    score_every_days: int = 7
    start: dt.date = dt.date(2026, 1, 1)
    device_share: float = 0.1
    heart_rate_every_minutes: int = 30
    # The baseline's first version is deployed by decision (its holdout is too small to promote
    # on at these sizes, as the quickstart's); every later version is gated.
    force_first_champion: bool = True
    # risk_model config over its defaults, as (name, value) pairs.
    model_config: tuple[tuple[str, object], ...] = ()
    # The baseline champion's train/serve skew on its holdout (model_health.serving_skew).
    measure_serving_skew: bool = True

    @property
    def scenario_start(self) -> dt.date:
        return self.start + dt.timedelta(days=self.baseline_days)


@dataclass
class ReportOutcome:
    day: str
    retrain_recommended: bool
    drift_score: float | None
    performance_drift: bool
    requests: int
    status: str


@dataclass
class ScenarioOutcome:
    name: str
    seed: int
    retrain_expected: bool
    drifts: list[str] = field(default_factory=list)
    # The baseline champion's importance of each feature the scenario's drifts act on.
    importance: dict[str, float] = field(default_factory=dict)
    reports: list[ReportOutcome] = field(default_factory=list)
    sources_named: list[tuple[str, str, str]] = field(default_factory=list)
    sources_expected: list[tuple[str, str, str]] = field(default_factory=list)
    retrain: dict = field(default_factory=dict)  # risk_model's metadata after the first retraining
    repeat_requests: int = 0
    champion_after: str = ""
    last_drift_decision: str = ""
    generate_seconds: float = 0.0
    run_seconds: float = 0.0

    @property
    def requests(self) -> int:
        return sum(r.requests for r in self.reports)

    @property
    def retrained(self) -> bool:
        return self.requests > 0

    @property
    def sources_found(self) -> bool:
        return set(map(tuple, self.sources_expected)) <= set(map(tuple, self.sources_named))

    @property
    def as_expected(self) -> bool:
        """Retrained exactly when drift was expected (once per event), and the monitors named
        every source a scenario changed."""
        once = self.requests == (1 if self.retrain_expected else 0)
        return once and self.sources_found and self.repeat_requests == 0


def _days(first: dt.date, count: int) -> list[str]:
    return [(first + dt.timedelta(days=k)).isoformat() for k in range(count)]


def deliver(world: ScenarioWorld, sizes: Sizes, seed: int, first: dt.date, count: int,
            drifts: Sequence[str] = ()) -> float:
    """Generates ``count`` delivery days from ``first`` (drifts switched on from ``first``);
    returns the seconds it took."""
    from healthcare_dataops.cli import main as cli

    flags = [f for kind in drifts for f in ("--drift", f"{kind}@{first.isoformat()}")]
    started = time.perf_counter()
    cli(["generate", "--landing", str(world.landing), "--side", str(world.side), "--patients", str(sizes.patients),
         "--days", str(count), "--start-date", first.isoformat(), "--epoch", sizes.start.isoformat(),
         "--seed", str(seed), "--device-share", str(sizes.device_share),
         "--heart-rate-every-minutes", str(sizes.heart_rate_every_minutes), "--quiet", *flags])
    return time.perf_counter() - started


def build_baseline(world: ScenarioWorld, sizes: Sizes, seed: int, say: Say = print) -> str:
    days = _days(sizes.start, sizes.baseline_days)
    deliver(world, sizes, seed, sizes.start, sizes.baseline_days)
    say(f"== baseline, seed {seed}: {sizes.patients} patients, delivery days {days[0]}...{days[-1]}")
    world.run_graph(days[0], days[-1], force=sizes.force_first_champion)
    version = world.champion_version()
    say(f"   risk_model v{version} is champion: {world.model_summary()}")
    return version


def run_scenario(world: ScenarioWorld, scenario: Scenario, sizes: Sizes, seed: int, say: Say = print
                 ) -> ScenarioOutcome:
    importance = world.champion_importance()
    scenario = resolved(scenario, importance)
    touched = [f"{d.removesuffix('-recalibration')}_{kind}" for d in scenario.drifts if d.endswith("-recalibration")
               for kind in ("last", "trend")]
    outcome = ScenarioOutcome(scenario.name, seed, scenario.retrain_expected, list(scenario.drifts),
                              {name: round(importance.get(name, 0.0), 4) for name in touched},
                              sources_expected=list(scenario.sources_expected))
    days = _days(sizes.scenario_start, sizes.scenario_days)
    say(f"== {scenario.name}, seed {seed}: {scenario.description}, {days[0]}...{days[-1]}")
    outcome.generate_seconds = deliver(world, sizes, seed, sizes.scenario_start, sizes.scenario_days,
                                       scenario.drifts)
    started = time.perf_counter()
    for chunk in range(0, len(days), sizes.report_every_days):
        first, last = days[chunk], days[min(chunk + sizes.report_every_days, len(days)) - 1]
        named = world.run_daily_pipeline(first, last, window_days=sizes.report_every_days)
        for day in days[chunk:chunk + sizes.report_every_days]:
            if sizes.score_every_days and ((days.index(day) + 1) % sizes.score_every_days == 0 or day == last):
                world.run_scores(day)
        for check, found in named.items():
            for source, measure in found:
                if (check, source, measure) not in outcome.sources_named:
                    outcome.sources_named.append((check, source, measure))
                    say(f"   {check} names {source} {measure} in {first}...{last}")
        report, requests = world.tick_drift_sensor(say)
        outcome.reports.append(ReportOutcome(report.get("delivery_day", last), bool(report.get("retrain_recommended")),
                                             report.get("drift_score"), bool(report.get("performance_drift")),
                                             len(requests), str(report.get("status", ""))))
        for request in requests:
            retrained = world.run_retrain(request)
            outcome.retrain = outcome.retrain or retrained
            say(f"   retrain_job: risk_model v{retrained['model_version']} is {retrained['alias']} "
                f"({retrained['decision']})")
            _, again = world.tick_drift_sensor(say)
            outcome.repeat_requests += len(again)
    outcome.run_seconds = time.perf_counter() - started
    outcome.champion_after = world.champion_version()
    outcome.last_drift_decision = world.model_card(outcome.champion_after).split("## Last drift decision")[-1].strip()
    say(f"   {scenario.name}: {outcome.requests} retraining request(s) over {len(outcome.reports)} report(s); "
        f"champion now v{outcome.champion_after}; {'as expected' if outcome.as_expected else 'NOT as expected'}")
    return outcome


@dataclass
class ScenarioRun:
    sizes: Sizes
    seeds: list[int]
    outcomes: list[ScenarioOutcome] = field(default_factory=list)
    baseline_seconds: list[float] = field(default_factory=list)
    seconds: float = 0.0
    # Per seed, the baseline champion's train/serve skew (serving_skew.SkewAtDay as dicts).
    serving_skew: list[list[dict]] = field(default_factory=list)

    def rates(self) -> dict[str, float | int | None]:
        quiet = [o for o in self.outcomes if not o.retrain_expected]
        drifting = [o for o in self.outcomes if o.retrain_expected]
        reports = sum(len(o.reports) for o in quiet)
        alarms = sum(sum(r.retrain_recommended for r in o.reports) for o in quiet)
        monitored = [o for o in self.outcomes if o.sources_expected]
        steady = [o for o in self.outcomes if o.name == "steady"]
        share = lambda part, whole: None if not whole else part / whole  # noqa: E731
        return {
            "false_alarm_reports": alarms, "quiet_reports": reports, "false_alarm_rate": share(alarms, reports),
            "detected": sum(o.retrained for o in drifting), "drift_runs": len(drifting),
            "detection_rate": share(sum(o.retrained for o in drifting), len(drifting)),
            "sources_named": sum(o.sources_found for o in monitored), "source_runs": len(monitored),
            # Sources a monitor named where nothing was changed at any source: its false warnings.
            "steady_sources_named": sum(len(o.sources_named) for o in steady), "steady_runs": len(steady),
            "as_expected": sum(o.as_expected for o in self.outcomes), "runs": len(self.outcomes),
        }


def run(workdir: Path, sizes: Sizes = Sizes(), scenarios: Sequence[Scenario] = SCENARIOS,
        seeds: Sequence[int] = (7,), say: Say = print) -> ScenarioRun:
    """Each seed's baseline once, then each scenario on a copy of it."""
    result = ScenarioRun(sizes, list(seeds))
    started = time.perf_counter()
    for seed in seeds:
        world = ScenarioWorld(workdir / "world", dict(sizes.model_config), database=f"baseline-{seed}")
        began = time.perf_counter()
        build_baseline(world, sizes, seed, say)
        result.baseline_seconds.append(time.perf_counter() - began)
        if sizes.measure_serving_skew:
            skew = world.serving_skew()
            say(f"   train/serve skew of v1: {serving_skew.describe(skew)}")
            result.serving_skew.append([dataclasses.asdict(s) for s in skew])
        world.save(workdir / f"baseline-{seed}")
        for scenario in scenarios:
            world.restore(workdir / f"baseline-{seed}", database=f"{scenario.name}-{seed}")
            result.outcomes.append(run_scenario(world, scenario, sizes, seed, say))
    result.seconds = time.perf_counter() - started
    return result

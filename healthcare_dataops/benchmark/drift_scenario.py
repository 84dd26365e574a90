"""The drift scenario at its full size as a benchmark entry (``--drift-scenario``).

The suite runs the loop at the smallest size that proves each phase
(``scenarios/test_drift_loop.py``); this entry runs it at the size the scenario is written for
(600 patients over 90 + 21 + 60 days), times each phase, and keeps what each phase decided, so
that a change which slows the loop or moves its drift shares shows up beside the other figures.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import time
from dataclasses import dataclass
from pathlib import Path

from healthcare_dataops.scenarios import drift_loop


@dataclass
class DriftScenarioResult:
    sizes: drift_loop.Sizes
    outcome: drift_loop.Outcome
    seconds: float
    workdir: Path | None = None

    def to_json(self) -> dict:
        sizes = {**dataclasses.asdict(self.sizes), "start": self.sizes.start.isoformat()}
        return {"sizes": sizes, "outcome": dataclasses.asdict(self.outcome), "seconds": self.seconds}

    @classmethod
    def from_json(cls, saved: dict) -> DriftScenarioResult:
        sizes = {**saved["sizes"], "start": dt.date.fromisoformat(saved["sizes"]["start"]),
                 "drift": tuple(saved["sizes"]["drift"])}
        outcome = {**saved["outcome"], "phases": [drift_loop.PhaseTiming(**p) for p in saved["outcome"]["phases"]]}
        return cls(drift_loop.Sizes(**sizes), drift_loop.Outcome(**outcome), saved["seconds"])


def run_drift_scenario(workdir: Path, sizes: drift_loop.Sizes = drift_loop.Sizes()) -> DriftScenarioResult:
    started = time.perf_counter()
    outcome = drift_loop.run(workdir, sizes)
    return DriftScenarioResult(sizes, outcome, time.perf_counter() - started, workdir)


def _share(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def drift_scenario_lines(result: DriftScenarioResult) -> list[str]:
    sizes, outcome = result.sizes, result.outcome
    days = sizes.baseline_days + sizes.control_days + sizes.drift_days
    retrain = outcome.retrain
    decided = {
        "baseline": f"risk_model v{outcome.baseline_version} champion",
        "control": f"drift share {_share(outcome.control_drift_share)}; {outcome.control_requests} retrain requests",
        "drift, retraining and rescoring": (
            f"drift share {_share(outcome.drift_share)}; {outcome.drift_requests} retrain request"
            + (f"; v{retrain['model_version']} {retrain['alias']}" if retrain else "")
            + f"; a second tick: {outcome.repeat_requests} requests"),
    }
    lines = [
        f"## The drift scenario: {sizes.patients:,} patients over {sizes.baseline_days} + {sizes.control_days} + "
        f"{sizes.drift_days} days", "",
        f"The loop end to end (`healthcare-dataops drift-scenario`), {days} delivery days in "
        f"{result.seconds:.0f} s: the baseline's whole graph, the control's and the drift's daily pipeline with a "
        f"drift sensor tick after each, and the retraining it requests. Drift: {', '.join(sizes.drift)}; the "
        f"report's threshold is a drift share of {_share(outcome.drift_threshold)}.", "",
        "| phase | days | generate s | runs s | s per day | outcome |", "|---|---:|---:|---:|---:|---|",
    ]
    for phase in outcome.phases:
        lines.append(f"| {phase.name} | {phase.days} | {phase.generate_seconds:.1f} | {phase.run_seconds:.1f} | "
                     f"{phase.run_seconds / phase.days:.1f} | {decided.get(phase.name, '')} |")
    lines += ["", "The loop closed: the control did not retrain, the drift retrained once." if outcome.loop_closed
              else "The loop did **not** close as the scenario expects: see the outcome column.", ""]
    return lines

"""The drift scenarios at full size as a benchmark entry (``--drift-scenario``).

The suite runs each scenario at the smallest size that proves it
(``scenarios/test_drift_scenarios.py``); this entry runs them at the size they are written for,
over several seeds, times each, keeps what each decided, and gives the false-alarm rate (reports
asking a retraining where nothing that matters changed) and the detection rate (drift scenarios
that retrained), so that a change which moves them shows up beside the other figures.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path

from healthcare_dataops.scenarios import drift_scenarios
from healthcare_dataops.scenarios.drift_results import DriftScenarioResult
from healthcare_dataops.scenarios.drift_scenarios import Sizes

DEFAULT_SEEDS = (7, 8, 9)


FULL_SIZE = Sizes()


def run_drift_scenario(workdir: Path, sizes: Sizes = FULL_SIZE, seeds: Sequence[int] = DEFAULT_SEEDS,
                       scenarios: Sequence[drift_scenarios.Scenario] = drift_scenarios.SCENARIOS,
                       on_seed: Callable[[DriftScenarioResult], None] | None = None) -> DriftScenarioResult:
    """Every scenario for every seed; ``on_seed`` gets the result so far after each seed."""
    started = time.perf_counter()
    done = drift_scenarios.ScenarioRun(sizes, [])
    for seed in seeds:
        found = drift_scenarios.run(workdir, sizes, scenarios, [seed])
        done.seeds.append(seed)
        done.outcomes += found.outcomes
        done.baseline_seconds += found.baseline_seconds
        done.serving_skew += found.serving_skew
        done.seconds = time.perf_counter() - started
        if on_seed:
            on_seed(DriftScenarioResult(done, done.seconds, workdir))
    return DriftScenarioResult(done, time.perf_counter() - started, workdir)

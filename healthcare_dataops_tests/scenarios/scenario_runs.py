"""The drift scenarios at the test's size, run in a process of their own: one baseline, then each
scenario on a copy of it, through ``drift_scenarios`` as the CLI runs them. What the tests read
(each outcome, what each said, and what the world held after it) is written as JSON.

``python -m healthcare_dataops_tests.scenarios.scenario_runs WORKDIR``: the test module starts
it in the background at the start of the test run (healthcare_dataops_tests/background.py).
"""

from __future__ import annotations

import dataclasses
import json
import sys
import time
from pathlib import Path

from healthcare_dataops.scenarios import drift_scenarios
from healthcare_dataops.scenarios.drift_results import DriftScenarioResult
from healthcare_dataops.scenarios.drift_scenarios import ScenarioRun, Sizes
from healthcare_dataops.scenarios.world import ScenarioWorld

SEED = 7
TEST_SIZES = Sizes(
    patients=600, baseline_days=90, scenario_days=30, report_every_days=30, score_every_days=0, device_share=0.05,
    measure_serving_skew=False,
    model_config=(("min_labelled_rows", 20), ("embargo_days", 0), ("min_holdout_positives", 5),
                  ("validation_fraction", 0.0), ("n_estimators", 150)),
)
# An older population shows in what the champion uses (comorbidities; it hardly uses age
# itself) only as the older admissions accumulate: over 30 days of 600 patients the
# comorbidity count moved 0.24 against 0.19 to 0.24 by chance, depending on the control
# windows drawn, so the scenario reports once over 60 days.
OLDER_SIZES = dataclasses.replace(TEST_SIZES, scenario_days=60, report_every_days=60)
# In the order the tests read them (the benchmark entry's test reads them in this order too).
SCENARIO_SIZES = {"steady": TEST_SIZES, "recalibrated-analyzer": TEST_SIZES, "older-population": OLDER_SIZES,
                  "unimportant-features": TEST_SIZES}
RESULTS = "scenario-runs.json"


def run_all(workdir: Path) -> dict:
    """The baseline and every scenario: their result as the CLI keeps it, what each said, and
    what the world held after each."""
    started = time.perf_counter()
    world = ScenarioWorld(workdir / "world", dict(TEST_SIZES.model_config), database="baseline")
    story: list[str] = []
    version = drift_scenarios.build_baseline(world, TEST_SIZES, SEED, story.append)
    baseline_seconds = time.perf_counter() - started
    found = {"baseline": {"version": version, "model_card": world.model_card(version), "story": story},
             "after": {}}
    world.save(workdir / "baseline")
    outcomes = []
    for name, sizes in SCENARIO_SIZES.items():
        world.restore(workdir / "baseline", database=name)
        story = []
        outcomes.append(drift_scenarios.run_scenario(world, drift_scenarios.BY_NAME[name], sizes, SEED, story.append))
        found["after"][name] = {
            "story": story,
            # The latest scores' model version (the Dagster instance is this process's own, and
            # gone with it) and the first version's model card.
            "scores_model_version": world.latest_metadata("patient_risk_scores").get("model_version"),
            "first_model_card": world.model_card("1"),
        }
    seconds = time.perf_counter() - started
    run = ScenarioRun(TEST_SIZES, [SEED], outcomes, [baseline_seconds], seconds)
    found["result"] = DriftScenarioResult(run, seconds).to_json()
    return found


def main(workdir: str) -> int:
    root = Path(workdir)
    results = run_all(root)
    # default=str: a few metadata values (dates) are not JSON types; the benchmark keeps them so too.
    (root / RESULTS).write_text(json.dumps(results, default=str), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))

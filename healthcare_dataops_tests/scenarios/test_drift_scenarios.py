"""The four drift scenarios end to end, each from one baseline built once, at the smallest size
that proves it; the full size (and the rates over seeds) is `make drift-scenario`.

The baseline: 600 patients over 90 days, the whole graph, the first version deployed by
decision. Its training rows need no 30-day embargo here (the scenarios test the monitoring, not
the split): with it, 90 days would train on about a hundred admissions and leave a model whose
importance says little; without, about 270, as a deployment's model has. Each scenario then
delivers 30 more days, runs the daily pipeline over them (its drift report over those 30 days),
ticks the sensor and runs the retraining it requests.

Measured at this size (seed 7; generator, pseudonyms, sampling and calibration are seeded, so
it repeats): steady, drift score 0.000 against the threshold 0.2; recalibrated analyzer (the
champion leans most on potassium's last value, importance 0.13): potassium_last moved 4.5 times
as far as chance, drift score 0.378, nearly twice the threshold; older population, over 60
days (scenario_runs.OLDER_SIZES), drifts on the comorbidity count and age; unimportant features (white cells, the
champion's least used key lab, importance 0.01, and heart rate): white cells moved four times
as far as chance, drift score 0.053, a quarter of the threshold. The silver monitors name
citycore's potassium at 2 standard deviations, its white cells, and PulseWear's heart rate at
0.58 (the floor is 0.4).

The baseline and the four scenarios run in a process of their own (scenario_runs.py), in the
background from the start of the test run; the tests read what it wrote. Running one of them
alone runs all four.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

from healthcare_dataops.lib.source_value_checks import LAB_VALUES_MATCH_HISTORY, WEARABLE_VALUES_MATCH_HISTORY
from healthcare_dataops.model_health.drift import DEFAULT_IMPORTANCE_THRESHOLD
from healthcare_dataops.scenarios.drift_results import DriftScenarioResult, drift_scenario_lines
from healthcare_dataops.scenarios.drift_scenarios import CITYCORE, ScenarioRun
from healthcare_dataops_tests import background
from healthcare_dataops_tests.conftest import REPO_ROOT
from healthcare_dataops_tests.scenarios import scenario_runs
from healthcare_dataops_tests.scenarios.scenario_runs import SEED, TEST_SIZES

THRESHOLD = DEFAULT_IMPORTANCE_THRESHOLD


def drift_scenario_runs(workdir: Path) -> background.Command:
    """The baseline and the four scenarios, in a process of their own (scenario_runs.py)."""
    return background.Command([sys.executable, "-m", scenario_runs.__name__, str(workdir)], REPO_ROOT,
                              dict(os.environ), timeout=2400)


# Minutes of the engine: run in the background from the start of the test run (background.py).
BACKGROUND_COMMANDS = (drift_scenario_runs,)


@pytest.fixture(scope="module")
def runs(request) -> dict:
    done = background.finished(request, drift_scenario_runs)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    found = json.loads((done.workdir / scenario_runs.RESULTS).read_text(encoding="utf-8"))
    found["outcomes"] = {o.name: o for o in DriftScenarioResult.from_json(found["result"]).run.outcomes}
    return found


def _run(runs: dict, name: str):
    """A scenario's outcome, what it said, and what its world held after it."""
    after = runs["after"][name]
    return runs["outcomes"][name], "\n".join(after["story"]), after


def test_the_baseline_champion_is_the_first_version_deployed_by_decision(runs):
    assert runs["baseline"]["version"] == "1"
    assert "forced by configuration" in runs["baseline"]["model_card"]


def test_nothing_changing_does_not_retrain(runs):
    outcome, told, _ = _run(runs, "steady")
    [report] = outcome.reports
    assert not report.retrain_recommended and report.drift_score < THRESHOLD / 2, told
    assert outcome.requests == 0 and outcome.champion_after == "1" and outcome.as_expected, told
    assert outcome.last_drift_decision.startswith("**No retraining.**"), told


def test_a_recalibrated_analyzer_is_named_at_its_source_drifts_and_retrains_once(runs):
    outcome, told, after = _run(runs, "recalibrated-analyzer")
    [drifted] = outcome.drifts
    analyte = drifted.removesuffix("-recalibration")
    # The analyte is one the champion leans on; the monitor names it at the lab that changed.
    assert outcome.importance[f"{analyte}_last"] >= 0.05, told
    assert (LAB_VALUES_MATCH_HISTORY, CITYCORE, analyte) in outcome.sources_named, told
    [report] = outcome.reports
    assert report.retrain_recommended and report.drift_score >= 1.5 * THRESHOLD, told
    assert f"{analyte}_last (effect" in report.status, told
    # One request, one new version gated against the old champion on the same holdout.
    assert outcome.requests == 1 and outcome.repeat_requests == 0, told
    retrained = outcome.retrain
    assert retrained["model_version"] == "2" and retrained["champion_holdout_auroc"] is not None, told
    assert retrained["alias"] in {"champion", "challenger"} and retrained["decision"], told
    assert outcome.champion_after == ("2" if retrained["alias"] == "champion" else "1")
    # retrain_job scored the open stays again, with the version that is champion after it.
    assert str(after["scores_model_version"]) == outcome.champion_after, told
    # The champion's model card carries the last decision and its reasons.
    assert "- Feature drift: drift score" in after["first_model_card"].split("## Last drift decision")[-1]
    assert outcome.as_expected, told


def test_an_older_population_drifts_and_retrains_once(runs):
    outcome, told, _ = _run(runs, "older-population")
    [report] = outcome.reports
    assert report.retrain_recommended and report.drift_score >= 1.25 * THRESHOLD, told
    assert "age_at_discharge (effect" in report.status, told
    assert outcome.requests == 1 and outcome.repeat_requests == 0 and outcome.as_expected, told


def test_shifts_in_what_the_model_hardly_uses_are_named_but_do_not_retrain(runs):
    outcome, told, _ = _run(runs, "unimportant-features")
    lab_drift = next(d for d in outcome.drifts if d.endswith("-recalibration"))
    analyte = lab_drift.removesuffix("-recalibration")
    assert outcome.importance[f"{analyte}_last"] + outcome.importance[f"{analyte}_trend"] < 0.05, told
    assert {(LAB_VALUES_MATCH_HISTORY, CITYCORE, analyte),
            (WEARABLE_VALUES_MATCH_HISTORY, "PulseWear Band 3", "heart_rate")} <= set(outcome.sources_named), told
    [report] = outcome.reports
    # The analyte moved far beyond chance, and still hardly counts.
    assert f"{analyte}_last (effect" in report.status and report.drift_score < THRESHOLD / 2, told
    assert outcome.requests == 0 and outcome.as_expected, told


def test_the_benchmark_entry_reports_the_scenarios_and_their_rates(runs):
    outcomes = list(runs["outcomes"].values())
    assert [o.name for o in outcomes] == ["steady", "recalibrated-analyzer", "older-population",
                                          "unimportant-features"]
    run = ScenarioRun(TEST_SIZES, [SEED], outcomes, [0.0], 1.0)
    assert run.rates().items() >= {"false_alarm_reports": 0, "quiet_reports": 2, "detected": 2, "drift_runs": 2,
                                   "as_expected": 4, "runs": 4}.items()
    result = DriftScenarioResult(run, 1.0)
    saved = DriftScenarioResult.from_json(json.loads(json.dumps(result.to_json())))
    assert drift_scenario_lines(saved) == drift_scenario_lines(result)
    table = "\n".join(drift_scenario_lines(result))
    assert "False alarms: 0 of 2 reports" in table and "Detection: 2 of 2 drift scenario runs retrained (100%)" in table

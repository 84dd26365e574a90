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
days (below), drifts on the comorbidity count and age; unimportant features (white cells, the
champion's least used key lab, importance 0.01, and heart rate): white cells moved four times
as far as chance, drift score 0.053, a quarter of the threshold. The silver monitors name
citycore's potassium at 2 standard deviations, its white cells, and PulseWear's heart rate at
0.58 (the floor is 0.4).
"""

from __future__ import annotations

import dataclasses
import json

import pytest

from healthcare_dataops.lib.source_value_checks import LAB_VALUES_MATCH_HISTORY, WEARABLE_VALUES_MATCH_HISTORY
from healthcare_dataops.model_health.drift import DEFAULT_IMPORTANCE_THRESHOLD
from healthcare_dataops.scenarios import drift_scenarios
from healthcare_dataops.scenarios.drift_results import DriftScenarioResult, drift_scenario_lines
from healthcare_dataops.scenarios.drift_scenarios import CITYCORE, ScenarioRun, Sizes
from healthcare_dataops.scenarios.world import ScenarioWorld

SEED = 7
TEST_SIZES = Sizes(
    patients=600, baseline_days=90, scenario_days=30, report_every_days=30, score_every_days=0, device_share=0.05,
    measure_serving_skew=False,
    model_config=(("min_labelled_rows", 20), ("embargo_days", 0), ("min_holdout_positives", 5),
                  ("validation_fraction", 0.0), ("n_estimators", 150)),
)
THRESHOLD = DEFAULT_IMPORTANCE_THRESHOLD
# An older population shows in what the champion uses (comorbidities; it hardly uses age
# itself) only as the older admissions accumulate: over 30 days of 600 patients the
# comorbidity count moved 0.24 against 0.19 to 0.24 by chance, depending on the control
# windows drawn, so the scenario reports once over 60 days.
OLDER_SIZES = dataclasses.replace(TEST_SIZES, scenario_days=60, report_every_days=60)


@pytest.fixture(scope="module")
def baseline(tmp_path_factory):
    root = tmp_path_factory.mktemp("drift-scenarios")
    world = ScenarioWorld(root / "world", dict(TEST_SIZES.model_config), database="baseline")
    story: list[str] = []
    version = drift_scenarios.build_baseline(world, TEST_SIZES, SEED, story.append)
    world.save(root / "baseline")
    return {"world": world, "root": root, "version": version, "story": story, "outcomes": []}


def _run(baseline, name: str, sizes: Sizes = TEST_SIZES):
    world = baseline["world"]
    world.restore(baseline["root"] / "baseline", database=name)
    story: list[str] = []
    outcome = drift_scenarios.run_scenario(world, drift_scenarios.BY_NAME[name], sizes, SEED, story.append)
    baseline["outcomes"].append(outcome)
    return outcome, "\n".join(story), world


def test_the_baseline_champion_is_the_first_version_deployed_by_decision(baseline):
    assert baseline["version"] == "1"
    assert "forced by configuration" in baseline["world"].model_card("1")


def test_nothing_changing_does_not_retrain(baseline):
    outcome, told, _ = _run(baseline, "steady")
    [report] = outcome.reports
    assert not report.retrain_recommended and report.drift_score < THRESHOLD / 2, told
    assert outcome.requests == 0 and outcome.champion_after == "1" and outcome.as_expected, told
    assert outcome.last_drift_decision.startswith("**No retraining.**"), told


def test_a_recalibrated_analyzer_is_named_at_its_source_drifts_and_retrains_once(baseline):
    outcome, told, world = _run(baseline, "recalibrated-analyzer")
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
    assert str(world.latest_metadata("patient_risk_scores")["model_version"]) == outcome.champion_after, told
    # The champion's model card carries the last decision and its reasons.
    assert "- Feature drift: drift score" in world.model_card("1").split("## Last drift decision")[-1]
    assert outcome.as_expected, told


def test_an_older_population_drifts_and_retrains_once(baseline):
    outcome, told, _ = _run(baseline, "older-population", OLDER_SIZES)
    [report] = outcome.reports
    assert report.retrain_recommended and report.drift_score >= 1.25 * THRESHOLD, told
    assert "age_at_discharge (effect" in report.status, told
    assert outcome.requests == 1 and outcome.repeat_requests == 0 and outcome.as_expected, told


def test_shifts_in_what_the_model_hardly_uses_are_named_but_do_not_retrain(baseline):
    outcome, told, _ = _run(baseline, "unimportant-features")
    lab_drift = next(d for d in outcome.drifts if d.endswith("-recalibration"))
    analyte = lab_drift.removesuffix("-recalibration")
    assert outcome.importance[f"{analyte}_last"] + outcome.importance[f"{analyte}_trend"] < 0.05, told
    assert {(LAB_VALUES_MATCH_HISTORY, CITYCORE, analyte),
            (WEARABLE_VALUES_MATCH_HISTORY, "PulseWear Band 3", "heart_rate")} <= set(outcome.sources_named), told
    [report] = outcome.reports
    # The analyte moved far beyond chance, and still hardly counts.
    assert f"{analyte}_last (effect" in report.status and report.drift_score < THRESHOLD / 2, told
    assert outcome.requests == 0 and outcome.as_expected, told


def test_the_benchmark_entry_reports_the_scenarios_and_their_rates(baseline):
    outcomes = baseline["outcomes"]
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

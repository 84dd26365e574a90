"""The drift scenario end to end, at the smallest size that still proves each phase: the loop
closes. The full size (600 patients over 90 + 21 + 60 days) is `make drift-scenario`.

Measured at this size (the generator, the pseudonyms and the report are deterministic, so it
repeats): the control's report finds 5 of 34 features drifted (0.147), the drifted one 9 of
34 (0.265), against the threshold of 0.25, the nine it needs. The margin is one feature, as it
is at the full size (10 of 35): 300 patients over 45 + 10 + 30 days found 6 of 34, and 600
patients with 40 drift days 8 of 34, since each column's test also drifts by chance. A change
to the features or the generator that moves the shares shows here first.
"""

import datetime as dt
import json
import time

import pytest

from healthcare_dataops.benchmark.drift_scenario import DriftScenarioResult, drift_scenario_lines
from healthcare_dataops.scenarios import drift_loop

TEST_SIZES = drift_loop.Sizes(
    patients=600, baseline_days=45, control_days=7, drift_days=30, start=dt.date(2026, 1, 1),
    # 45 days label about 90 admissions: a first model too weak to clear the floor, deployed
    # by decision; the retrained version is gated.
    force_first_champion=True,
)
# Train on the labelled admissions a 45-day baseline has (the default floor is 100).
TEST_MODEL_CONFIG = {"min_labelled_rows": 20}


@pytest.mark.slow
def test_drift_retrains_once_and_the_same_population_does_not(tmp_path):
    story: list[str] = []
    started = time.perf_counter()
    outcome = drift_loop.run(tmp_path, TEST_SIZES, say=story.append, model_config=TEST_MODEL_CONFIG)
    seconds = time.perf_counter() - started
    told = "\n".join(story)

    assert outcome.baseline_version == "1", told
    # Control: the same population; the report sees no dataset drift and the sensor skips.
    assert outcome.control_requests == 0 and outcome.control_drift_share < 0.25, told
    # Drift: one retrain request, one new gated version, scores refreshed by the champion.
    assert outcome.drift_requests == 1 and outcome.drift_share >= 0.25, told
    assert outcome.retrain["model_version"] == "2", told
    assert outcome.retrain["alias"] in {"champion", "challenger"} and outcome.retrain["decision"], told
    assert outcome.retrain["champion_holdout_auroc"] is not None, told  # both judged on one holdout
    champion = "2" if outcome.retrain["alias"] == "champion" else "1"
    assert outcome.scores_version == champion, told
    # The same drift event ticked again: nothing more.
    assert outcome.repeat_requests == 0, told
    assert "feature_drift_sensor requests retrain_job" in told

    # The benchmark's entry for the full-size scenario reports these phases: its table and
    # saved JSON, from this run's own outcome.
    assert [(p.name, p.days) for p in outcome.phases] == [
        ("baseline", 45), ("control", 7), ("drift, retraining and rescoring", 30)]
    assert all(p.generate_seconds > 0 and p.run_seconds > 0 for p in outcome.phases)
    result = DriftScenarioResult(TEST_SIZES, outcome, seconds)
    assert outcome.loop_closed and outcome.drift_threshold == 0.25
    saved = DriftScenarioResult.from_json(json.loads(json.dumps(result.to_json())))
    assert drift_scenario_lines(saved) == drift_scenario_lines(result)
    table = "\n".join(drift_scenario_lines(result))
    assert "## The drift scenario: 600 patients over 45 + 7 + 30 days" in table
    assert f"| control | 7 | {outcome.phases[1].generate_seconds:.1f} |" in table
    assert "The loop closed" in table and "threshold is a drift share of 0.250" in table


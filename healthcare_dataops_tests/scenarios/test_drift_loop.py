"""The drift scenario end to end, at the size the command runs it: the loop closes."""

import pytest

from healthcare_dataops.scenarios import drift_loop


@pytest.mark.slow
def test_drift_retrains_once_and_the_same_population_does_not(tmp_path):
    story: list[str] = []
    outcome = drift_loop.run(tmp_path, drift_loop.Sizes(), say=story.append)
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

"""The champion/challenger gate's every branch, with its reason."""

from healthcare_dataops.ml.gating import CHALLENGER, CHAMPION, Candidate, CurrentChampion, GateRules, decide
from healthcare_dataops.ml.uncertainty import Interval, PairedDifference

RULES = GateRules(min_auroc=0.65, tolerance=0.01, require_beat_lace=True, min_holdout_positives=20)
LACE = 0.66


def _candidate(auroc: float | None, positives: int = 40, negatives: int = 160) -> Candidate:
    return Candidate(auroc, positives, negatives)


def _champion(auroc: float, difference: float, low: float, high: float) -> CurrentChampion:
    return CurrentChampion("3", auroc, difference=PairedDifference(difference, Interval(low, high)))


def test_the_first_version_above_the_floor_and_lace_becomes_champion():
    decision = decide(_candidate(0.70), None, LACE, RULES)
    assert decision.alias == CHAMPION and decision.promoted
    assert "no champion yet" in decision.reason and "above LACE's 0.6600" in decision.reason


def test_below_the_floor_is_challenger_even_without_a_champion():
    decision = decide(_candidate(0.64), None, 0.6, RULES)
    assert decision.alias == CHALLENGER and "below the floor 0.6500" in decision.reason


def test_a_version_that_does_not_beat_lace_is_challenger_unless_not_required():
    decision = decide(_candidate(0.68), None, 0.69, RULES)
    assert decision.alias == CHALLENGER and "does not beat the LACE score's 0.6900" in decision.reason
    relaxed = GateRules(min_auroc=0.65, require_beat_lace=False)
    assert decide(_candidate(0.68), None, 0.69, relaxed).alias == CHAMPION


def test_a_holdout_too_small_to_judge_promotes_nothing():
    decision = decide(_candidate(0.9, positives=12, negatives=80), None, LACE, RULES)
    assert decision.alias == CHALLENGER
    assert "12 readmitted" in decision.reason and "min_holdout_positives" in decision.reason


def test_worse_by_more_than_the_tolerance_but_not_significantly_replaces_the_champion():
    # The chance difference two retrains on the same rows show: the paired interval spans zero.
    decision = decide(_candidate(0.73), _champion(0.75, -0.02, -0.05, 0.01), LACE, RULES)
    assert decision.alias == CHAMPION and "not significantly" in decision.reason
    assert "-0.020 (95% paired bootstrap interval -0.050–0.010)" in decision.reason


def test_significantly_worse_by_more_than_the_tolerance_is_challenger():
    decision = decide(_candidate(0.70), _champion(0.78, -0.08, -0.12, -0.04), LACE, RULES)
    assert decision.alias == CHALLENGER
    assert "loses to the champion" in decision.reason and "v3 0.7800" in decision.reason


def test_within_the_tolerance_replaces_it_whatever_the_interval():
    assert decide(_candidate(0.745), _champion(0.75, -0.005, -0.009, -0.001), LACE, RULES).alias == CHAMPION


def test_a_champion_that_cannot_score_the_holdout_is_not_replaced_silently():
    decision = decide(_candidate(0.80), CurrentChampion("3", None, "expects other inputs"), LACE, RULES)
    assert decision.alias == CHALLENGER and "expects other inputs" in decision.reason


def test_an_undefined_auroc_never_promotes():
    assert decide(_candidate(None), None, None, RULES).alias == CHALLENGER


def test_forcing_promotes_whatever_the_numbers():
    forced = GateRules(force=True)
    decision = decide(_candidate(0.40, positives=1), _champion(0.9, -0.5, -0.6, -0.4), 0.8, forced)
    assert decision.alias == CHAMPION and "forced" in decision.reason
    assert "the gate alone would make it challenger: the holdout has 1 readmitted" in decision.reason

"""The champion/challenger gate's every branch, with its reason."""

from healthcare_dataops.ml.gating import CHALLENGER, CHAMPION, CurrentChampion, decide

FLOOR, TOLERANCE = 0.65, 0.01


def test_the_first_version_above_the_floor_becomes_champion():
    decision = decide(0.70, None, FLOOR, TOLERANCE)
    assert decision.alias == CHAMPION and decision.promoted
    assert "no champion yet" in decision.reason


def test_below_the_floor_is_challenger_even_without_a_champion():
    decision = decide(0.64, None, FLOOR, TOLERANCE)
    assert decision.alias == CHALLENGER and "below the floor 0.6500" in decision.reason


def test_within_the_tolerance_of_the_champion_replaces_it():
    assert decide(0.745, CurrentChampion("3", 0.75), FLOOR, TOLERANCE).alias == CHAMPION


def test_losing_by_more_than_the_tolerance_is_challenger():
    decision = decide(0.73, CurrentChampion("3", 0.75), FLOOR, TOLERANCE)
    assert decision.alias == CHALLENGER
    assert "loses to the champion" in decision.reason and "v3 0.7500" in decision.reason


def test_a_champion_that_cannot_score_the_holdout_is_not_replaced_silently():
    decision = decide(0.80, CurrentChampion("3", None, "expects other inputs"), FLOOR, TOLERANCE)
    assert decision.alias == CHALLENGER and "expects other inputs" in decision.reason


def test_an_undefined_auroc_never_promotes():
    assert decide(None, None, FLOOR, TOLERANCE).alias == CHALLENGER


def test_forcing_promotes_whatever_the_numbers():
    decision = decide(0.40, CurrentChampion("3", 0.90), FLOOR, TOLERANCE, force=True)
    assert decision.alias == CHAMPION and "forced" in decision.reason

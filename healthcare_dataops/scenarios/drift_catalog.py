"""The four drift scenarios, each what it changes and what it must lead to.

Which analyte is important is the champion's to say (its feature importance), not the risk
function's: a model leans on what correlates in its training rows (potassium, which the
generator raises with failing kidneys, stands in for creatinine), so two scenarios name the
analyte they change by the baseline champion's importance (``resolved``).
"""

from __future__ import annotations

from dataclasses import dataclass

from healthcare_dataops.lib.source_value_checks import LAB_VALUES_MATCH_HISTORY, WEARABLE_VALUES_MATCH_HISTORY
from healthcare_dataops.transforms.features import KEY_LABS

# The performing lab as silver names it (MSH-4's first component).
CITYCORE = "City Medical Center Core Laboratory"


@dataclass(frozen=True)
class Scenario:
    name: str
    description: str
    drifts: tuple[str, ...]
    retrain_expected: bool
    # (check, source, measure) the per-source value monitors must name.
    sources_expected: tuple[tuple[str, str, str], ...] = ()


# Filled in from the baseline champion's importance: the key labs it leans on most and least.
IMPORTANT, UNIMPORTANT = "{important}", "{unimportant}"
SCENARIOS = (
    Scenario("steady", "nothing changes after the baseline", (), retrain_expected=False),
    Scenario("recalibrated-analyzer", "citycore's analyzer reports {important}, the key lab the champion leans on "
             "most, about two standard deviations high", (f"{IMPORTANT}-recalibration",), retrain_expected=True,
             sources_expected=((LAB_VALUES_MATCH_HISTORY, CITYCORE, IMPORTANT),)),
    Scenario("older-population", "new patients and admissions skew much older", ("older-population",),
             retrain_expected=True),
    Scenario("unimportant-features", "citycore's analyzer reports {unimportant}, the key lab the champion leans on "
             "least, high, and one vendor's firmware reports heart rate 8 bpm high",
             (f"{UNIMPORTANT}-recalibration", "heart-rate-firmware"), retrain_expected=False,
             sources_expected=((LAB_VALUES_MATCH_HISTORY, CITYCORE, UNIMPORTANT),
                               (WEARABLE_VALUES_MATCH_HISTORY, "PulseWear Band 3", "heart_rate"))),
)
BY_NAME = {s.name: s for s in SCENARIOS}


# Key labs drawn every hospital day (the basic metabolic panel and the blood count): a lab's
# recalibration reaches their last values on most admissions. HbA1c, drawn once and mostly by
# the outpatient reference lab, would move few.
DAILY_ANALYTES = tuple(a for a in KEY_LABS if a != "hba1c")


def analytes_by_reliance(importance: dict[str, float]) -> tuple[str, str]:
    """(the daily key lab whose last value the champion leans on most, the one it leans on
    least in last value and trend together)."""
    most = max(DAILY_ANALYTES, key=lambda a: importance.get(f"{a}_last", 0.0))
    least = min(DAILY_ANALYTES, key=lambda a: importance.get(f"{a}_last", 0.0) + importance.get(f"{a}_trend", 0.0))
    return most, least


def resolved(scenario: Scenario, importance: dict[str, float]) -> Scenario:
    most, least = analytes_by_reliance(importance)
    fill = lambda text: text.replace(IMPORTANT, most).replace(UNIMPORTANT, least)  # noqa: E731
    return Scenario(scenario.name, fill(scenario.description), tuple(fill(d) for d in scenario.drifts),
                    scenario.retrain_expected, tuple(tuple(fill(x) for x in s) for s in scenario.sources_expected))



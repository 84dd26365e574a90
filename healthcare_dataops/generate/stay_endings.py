"""How a stay ends, and what follows a discharge: the cases the readmission measure's cohort
rules exist for, drawn so the generator's truth applies the same rules as the label.

* Most stays end in a discharge home; a few in death in hospital, a discharge against
  medical advice (the EHR records it as a condition on the stay), or a transfer to the other
  hospital, whose stay then starts within hours and continues the same episode.
* After a discharge (an episode's last) the readmission draw follows the true risk; apart
  from it, a planned admission may be booked. Whichever comes first is the readmission that
  counts: a planned one first means no readmission, even if an unplanned one follows it.
"""

from __future__ import annotations

from .risk import RiskInputs, readmission_probability
from .seeding import day_key, stream

EMERGENCY, PLANNED, TRANSFER = "emergency", "planned", "transfer"  # how a stay began
DISCHARGED, DIED, AGAINST_ADVICE, TRANSFERRED = "discharged", "death", "against_medical_advice", "transfer"
# Per stay; a transfer's stay is not transferred again, a planned one neither.
DEATH_RATE, TRANSFER_RATE, AGAINST_ADVICE_RATE = 0.02, 0.03, 0.02
# Unplanned readmissions start 2..29 days after the discharge day (never within a day of the
# discharge: that would be a transfer); planned ones are booked 5..25 days ahead.
UNPLANNED_GAP_DAYS = (2, 29)
PLANNED_GAP_DAYS = (5, 25)
PLANNED_RATE = 0.06


def draw_ending(seed: int, i: int, day: int, kind: str, los: int) -> tuple[str, int]:
    """(ending, length of stay in days): a discharge against advice comes early."""
    u = float(stream(seed, "stay_ending", i, day_key(day), len(kind)).random())
    transfer_rate = TRANSFER_RATE if kind == EMERGENCY else 0.0
    if u < DEATH_RATE:
        return DIED, los
    if u < DEATH_RATE + transfer_rate:
        return TRANSFERRED, los
    if u < DEATH_RATE + transfer_rate + AGAINST_ADVICE_RATE:
        return AGAINST_ADVICE, max(1, los // 2)
    return DISCHARGED, los


def _planned_first_probability() -> float:
    """P(a booked planned admission comes before an unplanned readmission), both gaps uniform."""
    unplanned = range(UNPLANNED_GAP_DAYS[0], UNPLANNED_GAP_DAYS[1] + 1)
    planned = range(PLANNED_GAP_DAYS[0], PLANNED_GAP_DAYS[1] + 1)
    return sum(p < u for p in planned for u in unplanned) / (len(planned) * len(unplanned))


PLANNED_FIRST = _planned_first_probability()


def after_discharge(seed: int, i: int, day: int, inputs: RiskInputs) -> tuple[float, int | None, int | None]:
    """(true probability of the label, days until the next admission, whether it is planned:
    the index of its reason in codes.PLANNED_REASONS or None)."""
    p = readmission_probability(inputs)
    rng = stream(seed, "readmission", i, day_key(day))
    u, gap = float(rng.random()), int(rng.integers(UNPLANNED_GAP_DAYS[0], UNPLANNED_GAP_DAYS[1] + 1))
    planned = stream(seed, "planned", i, day_key(day))
    booked = float(planned.random()) < PLANNED_RATE
    planned_gap = int(planned.integers(PLANNED_GAP_DAYS[0], PLANNED_GAP_DAYS[1] + 1))
    reason = int(planned.integers(0, 3))
    label_probability = p * (1 - PLANNED_RATE * PLANNED_FIRST)
    if booked and (u >= p or planned_gap < gap):
        return label_probability, planned_gap, reason
    return label_probability, (gap if u < p else None), None

"""What the first export carries for a patient already on the panel.

The year before the feeds begin is simulated day by day with the same admission, visit and
readmission process as the days the feeds deliver (``SIMULATED_HISTORY_DAYS``, see the runner):
its stays, ED visits and office visits go into the first export, so a count over the last
6 or 12 months means the same on the first delivered day as on the hundredth. What is older
than that is written here: the chronic diagnoses with their prescriptions, yearly checkups and
a few office visits, none of which the features count.
"""

from __future__ import annotations

from . import codes
from .ehr_rows import (
    PRIMARY_CARE,
    Context,
    condition_row,
    encounter_row,
    medication_row,
    patient_row,
    social_rows,
    vital_rows,
)
from .seeding import stable_uuid, stream

DAY = 1440
# A year of look-back (admissions in the last 12 months) for the first delivered day, plus a
# month for the simulation to settle (nobody is in hospital on its first day).
SIMULATED_HISTORY_DAYS = 400


def prior_history(ctx: Context, i: int, emit) -> None:
    """Emit the rows of patient ``i``'s history before the simulated year, table by table."""
    seed, panel = ctx.seed, ctx.panel
    rng = stream(seed, "history", i)
    before = -SIMULATED_HISTORY_DAYS * DAY
    emit("patients", patient_row(ctx, i))
    for condition in codes.CHRONIC:
        if not panel.has_chronic(i, condition.bit):
            continue
        start = before - int(365 * rng.random() * 14) * DAY - DAY + 540 + int(rng.integers(0, 420))
        enc_id = stable_uuid(seed, "encounter", i, "diagnosis", condition.bit)
        reason = (condition.code, condition.description)
        emit("encounters", encounter_row(ctx, i, enc_id, "diagnosis", "ambulatory", start, start + 25,
                                         PRIMARY_CARE, reason))
        emit("conditions", condition_row(ctx, i, enc_id, *reason, ctx.local(start).date()))
        months = max(1, -start // (30 * DAY))
        for med in condition.medications:
            emit("medications", medication_row(ctx, i, enc_id, med, start + 10, None, int(months), reason))
    for years_ago in (2, 1):  # yearly checkups with vital signs and the social screening
        start = before - (365 * years_ago - int(rng.integers(0, 300))) * DAY + 480 + int(rng.integers(0, 480))
        enc_id = stable_uuid(seed, "encounter", i, "prior-wellness", years_ago)
        emit("encounters", encounter_row(ctx, i, enc_id, "wellness", "wellness", start, start + 30, PRIMARY_CARE))
        for row in vital_rows(ctx, i, enc_id, start + 3, 0.0, rng) + social_rows(ctx, i, enc_id, start + 8, rng):
            emit("observations", row)
    for k in range(int(rng.integers(2, 6))):
        start = before - int(1 + rng.integers(0, 540)) * DAY + 480 + int(rng.integers(0, 540))
        enc_id = stable_uuid(seed, "encounter", i, "prior-visit", k)
        emit("encounters", encounter_row(ctx, i, enc_id, "follow_up", "ambulatory", start, start + 20, PRIMARY_CARE))
        for row in vital_rows(ctx, i, enc_id, start + 3, 0.0, rng):
            emit("observations", row)

"""What the first export carries for a patient already on the panel: the years before the
feeds began (diagnoses with their prescriptions, checkups, visits, past inpatient stays)."""

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
from .population import HOSPITALS, NO_ADMISSION
from .seeding import stable_uuid, stream
from .stays import choose_reason

DAY = 1440


def prior_history(ctx: Context, i: int, emit) -> None:
    """Emit every row of patient ``i``'s history before the epoch, table by table."""
    seed, panel = ctx.seed, ctx.panel
    rng = stream(seed, "history", i)
    emit("patients", patient_row(ctx, i))
    for condition in codes.CHRONIC:
        if not panel.has_chronic(i, condition.bit):
            continue
        start = -int(365 * (1 + rng.random() * 14)) * DAY + 540 + int(rng.integers(0, 420))
        enc_id = stable_uuid(seed, "encounter", i, "diagnosis", condition.bit)
        reason = (condition.code, condition.description)
        emit("encounters", encounter_row(ctx, i, enc_id, "diagnosis", "ambulatory", start, start + 25,
                                         PRIMARY_CARE, reason))
        emit("conditions", condition_row(ctx, i, enc_id, *reason, ctx.local(start).date()))
        months = max(1, -start // (30 * DAY))
        for med in condition.medications:
            emit("medications", medication_row(ctx, i, enc_id, med, start + 10, None, int(months), reason))
    for years_ago in (2, 1):  # yearly checkups with vital signs and the social screening
        start = -(365 * years_ago - int(rng.integers(0, 300))) * DAY + 480 + int(rng.integers(0, 480))
        enc_id = stable_uuid(seed, "encounter", i, "prior-wellness", years_ago)
        emit("encounters", encounter_row(ctx, i, enc_id, "wellness", "wellness", start, start + 30, PRIMARY_CARE))
        for row in vital_rows(ctx, i, enc_id, start + 3, 0.0, rng) + social_rows(ctx, i, enc_id, start + 8, rng):
            emit("observations", row)
    for k in range(int(rng.integers(2, 6))):
        start = -int(1 + rng.integers(0, 540)) * DAY + 480 + int(rng.integers(0, 540))
        enc_id = stable_uuid(seed, "encounter", i, "prior-visit", k)
        emit("encounters", encounter_row(ctx, i, enc_id, "follow_up", "ambulatory", start, start + 20, PRIMARY_CARE))
        for row in vital_rows(ctx, i, enc_id, start + 3, 0.0, rng):
            emit("observations", row)
    hospital = HOSPITALS[int(panel.hospital[i])][0]
    for start in panel.prior_admission_minutes[i]:
        if start == NO_ADMISSION:
            continue
        start = int(start)
        reason = choose_reason(panel, i, float(rng.random()))
        ed_id = stable_uuid(seed, "encounter", i, "prior-ed", start)
        enc_id = stable_uuid(seed, "encounter", i, "prior-inpatient", start)
        stop = start + int(2 + rng.integers(0, 7)) * DAY + int(rng.integers(0, 300))
        emit("encounters", encounter_row(ctx, i, ed_id, "emergency", "emergency", start - 200, start, hospital, reason))
        emit("encounters", encounter_row(ctx, i, enc_id, "inpatient", "inpatient", start, stop, hospital, reason))
        emit("conditions", condition_row(ctx, i, enc_id, *reason, ctx.local(start).date(), ctx.local(stop).date()))
        for med in codes.INPATIENT_MEDICATIONS:
            emit("medications",
                 medication_row(ctx, i, enc_id, med, start + 30, stop, max(1, (stop - start) // DAY), reason))
        for row in vital_rows(ctx, i, enc_id, start + 20, 6.0, rng):
            emit("observations", row)

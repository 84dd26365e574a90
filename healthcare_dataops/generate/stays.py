"""Inpatient stays: admission (through the ED, booked ahead, or as a transfer), daily labs,
and the stay's closing rows.

State-changing draws (times, length of stay, lab values, how the stay ends) come from
streams that never depend on whether a day is written; the EHR row details come from a
separate stream, so a run that only re-simulates earlier days draws exactly the same.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field

from . import codes
from .ehr_rows import condition_row, encounter_row, medication_row, vital_rows
from .lab_orders import draw_values, make_order
from .population import HOSPITALS
from .risk import RiskInputs
from .seeding import day_key, stable_uuid, stream
from .stay_endings import AGAINST_ADVICE, EMERGENCY, PLANNED, TRANSFER, draw_ending
from .wearable_day import IN_HOSPITAL

YEAR_MINUTES = 365 * 1440


@dataclass
class Stay:
    patient: int
    admit_day: int
    encounter_id: str
    start: int  # minutes from the epoch's midnight, hospital-local
    discharge_day: int
    discharge: int
    reason: tuple[str, str]
    severity: int  # illness level on admission
    recovery_rate: float
    acute: float
    prior_admissions_12m: int
    hospital: int  # index into HOSPITALS
    kind: str  # EMERGENCY, PLANNED or TRANSFER
    ending: str  # how it ends: stay_endings.ENDINGS
    # A transfer continues its sending stay's episode: the readmission window and the risk's
    # inputs run from the episode's first admission to the last discharge.
    episode_start: int
    episode_admit_day: int
    latest: dict[str, float] = field(default_factory=dict)

    def level_on(self, day: int) -> int:
        return int(round(self.severity * math.exp(-self.recovery_rate * (day - self.admit_day))))


def choose_reason(panel, i: int, u: float) -> tuple[str, str]:
    weights = [w * (3.0 if bit is not None and panel.has_chronic(i, bit) else (0.15 if bit is not None else 1.0))
               for _, _, bit, w in codes.ADMISSION_REASONS]
    target, total = u * sum(weights), 0.0
    for (code, description, _, _), w in zip(codes.ADMISSION_REASONS, weights, strict=True):
        total += w
        if target < total:
            return code, description
    return codes.ADMISSION_REASONS[-1][:2]


def admit(sim, i: int, day: int, planned_reason: int = -1) -> Stay:
    """Through the ED, or (``planned_reason`` >= 0, an index into codes.PLANNED_REASONS)
    booked ahead: a morning admission with no ED visit, a short stay, a patient not acutely ill."""
    rng = stream(sim.seed, "admission", i, day_key(day))
    panel = sim.panel
    ed_start = day * 1440 + 360 + int(rng.integers(0, 840))
    start = min(ed_start + 120 + int(rng.integers(0, 240)), day * 1440 + 1439)
    chf = panel.has_chronic(i, codes.CHF)
    los = int(min(max(1 + round(rng.gamma(2.2, 1.5 * (1.25 if chf else 1.0))), 2), 14))
    reason = choose_reason(panel, i, float(rng.random()))
    severity, recovery, acute = 5 + int(rng.integers(0, 5)), float(rng.uniform(0.12, 0.6)), float(rng.uniform(0.3, 1.0))
    kind = EMERGENCY
    if planned_reason >= 0:
        kind, reason = PLANNED, codes.PLANNED_REASONS[planned_reason][:2]
        start = day * 1440 + 420 + int(rng.integers(0, 120))
        los, severity, acute = 1 + int(rng.integers(0, 3)), 2 + int(rng.integers(0, 2)), acute * 0.3
    prior = sum(1 for s in sim.admission_starts(i) if start - YEAR_MINUTES <= s < start)
    hospital = int(panel.hospital[i])
    ending, los = draw_ending(sim.seed, i, day, kind, los)
    stay = Stay(
        patient=i, admit_day=day, encounter_id=stable_uuid(sim.seed, "encounter", i, day, "inpatient"), start=start,
        discharge_day=day + los, discharge=(day + los) * 1440 + 600 + int(rng.integers(0, 420)), reason=reason,
        severity=severity, recovery_rate=recovery, acute=acute, prior_admissions_12m=prior, hospital=hospital,
        kind=kind, ending=ending, episode_start=start, episode_admit_day=day,
    )
    sim.admissions.setdefault(i, []).append(start)
    first_draw = start + 20 if kind == PLANNED else ed_start + 20
    panels = ["CBC", "BMP"] + (["A1C"] if panel.has_chronic(i, codes.DIABETES) or rng.random() < 0.2 else [])
    for key in panels:
        _order(sim, stay, key, first_draw, int(rng.integers(45, 150)), stay.acute, rng)
    if sim.writing and kind == EMERGENCY:
        ed_id = stable_uuid(sim.seed, "encounter", i, day, "ed")
        sim.emit("encounters", encounter_row(sim.ctx, i, ed_id, "emergency", "emergency", ed_start,
                                             start, HOSPITALS[hospital][0], stay.reason))
    return stay


def transfer(sim, sending: Stay, day: int) -> Stay:
    """The stay at the other hospital that takes the patient straight from ``sending``'s discharge."""
    i = sending.patient
    rng = stream(sim.seed, "admission", i, day_key(day), 1)
    start = sending.discharge + 30 + int(rng.integers(0, 150))
    admit_day = start // 1440
    los = 1 + int(rng.integers(0, 6))
    ending, los = draw_ending(sim.seed, i, admit_day, TRANSFER, los)
    stay = Stay(
        patient=i, admit_day=admit_day, encounter_id=stable_uuid(sim.seed, "encounter", i, admit_day, "transfer"),
        start=start, discharge_day=admit_day + los,
        discharge=(admit_day + los) * 1440 + 600 + int(rng.integers(0, 420)),
        reason=sending.reason, severity=max(sending.level_on(admit_day), 3), recovery_rate=sending.recovery_rate,
        acute=sending.acute * 0.7, prior_admissions_12m=sending.prior_admissions_12m,
        hospital=1 - sending.hospital, kind=TRANSFER, ending=ending,
        episode_start=sending.episode_start, episode_admit_day=sending.episode_admit_day,
    )
    sim.admissions.setdefault(i, []).append(start)
    for key in ("CBC", "BMP"):
        _order(sim, stay, key, start + 30, int(rng.integers(45, 150)), stay.acute, rng)
    return stay


def inpatient_day(sim, stay: Stay, day: int) -> None:
    rng = stream(sim.seed, "inpatient_day", stay.patient, day_key(day))
    acute = stay.acute * math.exp(-stay.recovery_rate * (day - stay.admit_day))
    drawn = day * 1440 + 300 + int(rng.integers(0, 90))
    for key in ("BMP", "CBC"):
        _order(sim, stay, key, drawn, int(rng.integers(50, 130)), acute, rng)
    if sim.panel.has_chronic(stay.patient, codes.DIABETES):
        for clock in (450, 990):  # point-of-care glucose before breakfast and dinner
            when = day * 1440 + clock + int(rng.integers(0, 30))
            if when < stay.discharge - 60:
                _order(sim, stay, "POCGLU", when, 5 + int(rng.integers(0, 20)), acute, rng)


def discharge(sim, stay: Stay, day: int) -> RiskInputs:
    """The risk's inputs at the end of the stay's episode."""
    i, panel = stay.patient, sim.panel
    date = sim.epoch + dt.timedelta(days=day)
    flags = {name: panel.has_chronic(i, bit) for name, bit in (
        ("diabetes", codes.DIABETES), ("hypertension", codes.HYPERTENSION), ("chf", codes.CHF),
        ("copd", codes.COPD), ("cad", codes.CAD), ("afib", codes.AFIB))}
    flags["ckd"] = panel.has_chronic(i, codes.CKD_EARLY) or panel.has_chronic(i, codes.CKD_STAGE3)
    rhr_delta, steps = sim.wearable_inputs(i, stay.episode_admit_day, day)
    return RiskInputs(
        age=panel.age_on(i, date), **flags, prior_admissions_12m=stay.prior_admissions_12m,
        length_of_stay_days=round((stay.discharge - stay.episode_start) / 1440, 4),
        creatinine=stay.latest["2160-0"], sodium=stay.latest["2951-2"], hemoglobin=stay.latest["718-7"],
        hba1c=sim.last_hba1c.get(i), resting_hr_delta=rhr_delta, steps_per_day_7d=steps,
    )


def stay_rows(sim, stay: Stay) -> None:
    """The closed stay as the EHR exports it on the discharge day."""
    ctx, i = sim.ctx, stay.patient
    rng = stream(sim.seed, "stay_rows", i, day_key(stay.admit_day))
    kind = {EMERGENCY: "inpatient", PLANNED: "elective", TRANSFER: "transfer"}[stay.kind]
    sim.emit("encounters", encounter_row(ctx, i, stay.encounter_id, kind, "inpatient", stay.start,
                                         stay.discharge, HOSPITALS[stay.hospital][0], stay.reason))
    start_date = sim.epoch + dt.timedelta(days=stay.admit_day)
    stop_date = sim.epoch + dt.timedelta(days=stay.discharge_day)
    sim.emit("conditions", condition_row(ctx, i, stay.encounter_id, *stay.reason, start_date, stop_date))
    if stay.ending == AGAINST_ADVICE:
        sim.emit("conditions", condition_row(ctx, i, stay.encounter_id, *codes.AGAINST_MEDICAL_ADVICE, stop_date))
    meds = list(codes.INPATIENT_MEDICATIONS)
    if stay.reason[0] in codes.REASON_MEDICATIONS:
        meds.append(codes.REASON_MEDICATIONS[stay.reason[0]])
    los_days = stay.discharge_day - stay.admit_day
    for med in meds:
        sim.emit("medications", medication_row(ctx, i, stay.encounter_id, med, stay.start + 30,
                                               stay.discharge, max(1, los_days), stay.reason))
    if sim.out.history:
        return  # the first export carries past stays without their daily vital signs
    for day in range(stay.admit_day, stay.discharge_day + 1):
        when = max(stay.start + 15, day * 1440 + 480 + int(rng.integers(0, 60)))
        if when < stay.discharge:
            for row in vital_rows(ctx, i, stay.encounter_id, when, stay.level_on(day), rng):
                sim.emit("observations", row)


def open_stay_row(sim, stay: Stay, day: int) -> None:
    """A stay still open at the end of ``day``: the export carries it with an empty STOP, as an
    EHR's daily extract of the encounters touched that day does, until the discharge closes it."""
    kind = {EMERGENCY: "inpatient", PLANNED: "elective", TRANSFER: "transfer"}[stay.kind]
    sim.emit("encounters", encounter_row(sim.ctx, stay.patient, stay.encounter_id, kind, "inpatient",
                                         stay.start, None, HOSPITALS[stay.hospital][0], stay.reason,
                                         billed_until=(day + 1) * 1440))


def status_in_hospital(stay: Stay, day: int) -> int:
    return min(stay.level_on(day), 15) | IN_HOSPITAL


def _order(sim, stay: Stay, key: str, collected: int, turnaround: int, acute: float, rng) -> None:
    if collected + turnaround < 0:
        # Resulted before the feeds began, so never delivered: only the values the risk reads
        # (point-of-care glucose is not one of them).
        if key != "POCGLU" and collected < stay.discharge:
            stay.latest.update(draw_values(sim.panel, stay.patient, key, acute, rng))
        return
    lab = HOSPITALS[stay.hospital][1]
    order = make_order(sim.seed, lab, sim.panel, stay.patient, key, sim.ctx.local(collected),
                       turnaround, acute, rng)
    if collected < stay.discharge:
        stay.latest.update(order.values)
    sim.lab(order)

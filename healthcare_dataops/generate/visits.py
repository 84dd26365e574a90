"""Encounters that open and close on one day: office visits, wellness exams, ED visits,
and the first visit of a newly registered patient."""

from __future__ import annotations

import datetime as dt

from . import codes
from .ehr_rows import PRIMARY_CARE, condition_row, encounter_row, medication_row, patient_row, social_rows, vital_rows
from .lab_orders import make_order
from .population import HOSPITALS, REFERENCE_LAB
from .seeding import day_key, stable_uuid, stream

# kind: (encounter class, type key in codes.ENCOUNTER_TYPES, stream number, lab chance)
KINDS = {
    "follow_up": ("ambulatory", "follow_up", 1, 0.45),
    "symptom": ("outpatient", "symptom", 2, 0.15),
    "wellness": ("wellness", "wellness", 3, 0.6),
    "emergency": ("emergency", "emergency", 4, 1.0),
    "new_patient": ("outpatient", "new_patient", 5, 1.0),
}
MINOR_PROBLEMS = (
    ("444814009", "Viral sinusitis (disorder)",
     ("562251", "Amoxicillin 250 MG / Clavulanate 125 MG Oral Tablet", 1.31)),
    ("10509002", "Acute bronchitis (disorder)", ("313782", "Acetaminophen 325 MG Oral Tablet", 0.12)),
    ("195662009", "Acute viral pharyngitis (disorder)", ("313782", "Acetaminophen 325 MG Oral Tablet", 0.12)),
    ("29857009", "Chest pain (finding)", None),
    ("404640003", "Dizziness (finding)", None),
    ("1912002", "Fall (event)", ("198440", "Acetaminophen 500 MG Oral Tablet", 0.10)),
)


def visit(sim, i: int, day: int, kind: str) -> None:
    _encounter_class, _type_key, number, lab_chance = KINDS[kind]
    rng = stream(sim.seed, "visit", i, day_key(day), number)
    emergency = kind == "emergency"
    start = day * 1440 + (360 + int(rng.integers(0, 960)) if emergency else 480 + int(rng.integers(0, 540)))
    stop = start + (120 + int(rng.integers(0, 180)) if emergency else 15 + int(rng.integers(0, 30)))
    problem = MINOR_PROBLEMS[int(rng.integers(3, 6) if emergency else rng.integers(0, 3))]
    if rng.random() < lab_chance:
        if emergency:
            lab, keys, turnaround = HOSPITALS[int(sim.panel.hospital[i])][1], ("CBC", "BMP"), (45, 120)
        else:
            lab, keys, turnaround = REFERENCE_LAB, _office_panels(sim, i, rng), (240, 1200)
        for key in keys:
            minutes = int(rng.integers(*turnaround))
            if start + 10 + minutes < 0:
                continue  # resulted before the feeds began: never delivered
            sim.lab(make_order(sim.seed, lab, sim.panel, i, key, sim.ctx.local(start + 10),
                               minutes, 0.15 if emergency else 0.0, rng))
    # Of the simulated year before the feeds, the first export carries the ED visits (what the
    # features count), not the office visits.
    if sim.writing and (kind == "emergency" or not sim.out.history):
        _visit_rows(sim, i, day, kind, start, stop, problem)


def _office_panels(sim, i: int, rng) -> list[str]:
    keys = ["BMP"]
    if sim.panel.has_chronic(i, codes.DIABETES):
        keys.append("A1C")
    if rng.random() < 0.3:
        keys.append("CBC")
    return keys


def _visit_rows(sim, i: int, day: int, kind: str, start: int, stop: int, problem) -> None:
    ctx = sim.ctx
    encounter_class, type_key, number, _ = KINDS[kind]
    rng = stream(sim.seed, "stay_rows", i, day_key(day), 100 + number)
    enc_id = stable_uuid(sim.seed, "encounter", i, day, kind)
    organization = HOSPITALS[int(sim.panel.hospital[i])][0] if kind == "emergency" else PRIMARY_CARE
    reason = problem[:2] if kind in ("symptom", "emergency") else None
    if kind == "new_patient":
        sim.emit("patients", patient_row(ctx, i))
    sim.emit("encounters", encounter_row(ctx, i, enc_id, type_key, encounter_class, start, stop, organization, reason))
    date = sim.epoch + dt.timedelta(days=day)
    if reason:
        sim.emit("conditions", condition_row(ctx, i, enc_id, *reason, date, date + dt.timedelta(days=10)))
        if problem[2]:
            sim.emit("medications", medication_row(ctx, i, enc_id, problem[2], start + 5, start + 10 * 1440, 1, reason))
    chronic = [c for c in codes.CHRONIC if sim.panel.has_chronic(i, c.bit)]
    if kind == "new_patient":
        for condition in chronic:
            sim.emit("conditions", condition_row(ctx, i, enc_id, condition.code, condition.description, date))
            for med in condition.medications[:1]:
                sim.emit("medications", medication_row(ctx, i, enc_id, med, start + 5, None, 1,
                                                       (condition.code, condition.description)))
    elif kind == "follow_up" and chronic:
        condition = chronic[int(rng.integers(len(chronic)))]
        for med in condition.medications[:1]:  # a 90-day renewal of one chronic prescription
            sim.emit("medications", medication_row(ctx, i, enc_id, med, start + 5, start + 90 * 1440, 3,
                                                   (condition.code, condition.description)))
    if sim.out.history:
        return
    for row in vital_rows(ctx, i, enc_id, start + 3, 1.0 if kind == "emergency" else 0.0, rng):
        sim.emit("observations", row)
    if kind in ("wellness", "new_patient"):
        for row in social_rows(ctx, i, enc_id, start + 8, rng):
            sim.emit("observations", row)

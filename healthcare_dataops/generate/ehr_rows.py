"""Synthea-style EHR rows: one builder per table, returning values in header order."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from healthcare_dataops.formats.records import EHR_COLUMNS

from . import codes
from .clock import iso_z
from .identity import identity
from .population import HOSPITALS, Panel
from .seeding import stable_fraction, stable_uuid

PRIMARY_CARE = "BAYSIDE PRIMARY CARE ASSOCIATES"


def header(table: str) -> list[str]:
    return ["Id" if c == "id" else c.upper() for c in EHR_COLUMNS[table]]


@dataclass(frozen=True)
class Context:
    seed: int
    panel: Panel
    epoch: dt.date

    def local(self, minute: int) -> dt.datetime:
        """Hospital-local wall clock of a minute counted from the epoch's midnight."""
        return dt.datetime(self.epoch.year, self.epoch.month, self.epoch.day) + dt.timedelta(minutes=int(minute))

    def iso(self, minute: int) -> str:
        return _iso_minute(self.epoch, int(minute))

    def patient_id(self, i: int) -> str:
        return _patient_id(self.seed, int(i))

    def identity(self, i: int):
        p = self.panel
        return identity(self.seed, i, bool(p.female[i]), int(p.birth_ordinal[i]))

    def payer(self, i: int) -> tuple[str, str]:
        return _payer(self.seed, int(i))

    def organization(self, name: str) -> str:
        return stable_uuid(self.seed, "organization", name)

    def provider(self, organization: str, i: int) -> str:
        return stable_uuid(self.seed, "provider", organization, i % 9)

    def hospital(self, i: int) -> str:
        return HOSPITALS[int(self.panel.hospital[i])][0]


@lru_cache(maxsize=1 << 13)
def _payer(seed: int, i: int) -> tuple[str, str]:
    u, total = stable_fraction(seed, "payer", i), 0.0
    for name, share in codes.PAYERS:  # noqa: B007 - the payer the loop stops at is returned
        total += share
        if u < total:
            break
    return name, stable_uuid(seed, "payer", name)


@lru_cache(maxsize=1 << 13)
def _body_size(seed: int, i: int) -> tuple[float, float]:
    """(height offset, BMI offset): fixed per person, unlike the day's vital signs."""
    return 14 * (stable_fraction(seed, "height", i) - 0.5), 6 * (stable_fraction(seed, "bmi", i) - 0.5)


@lru_cache(maxsize=1 << 13)
def _patient_id(seed: int, i: int) -> str:
    return stable_uuid(seed, "patient", i)


@lru_cache(maxsize=1 << 13)
def _iso_minute(epoch: dt.date, minute: int) -> str:
    """Many rows share a timestamp (a set of vital signs, an encounter and its orders)."""
    return iso_z(dt.datetime(epoch.year, epoch.month, epoch.day) + dt.timedelta(minutes=minute))


def _ordered(table: str, values: dict[str, object]) -> list[str]:
    return ["" if values.get(c) is None else str(values[c]) for c in EHR_COLUMNS[table]]


def patient_row(ctx: Context, i: int, died: dt.date | None = None) -> list[str]:
    """The patient as the EHR exports them; again, with the date of death, on the day they die."""
    who = ctx.identity(i)
    return _ordered("patients", {
        "id": ctx.patient_id(i), "birthdate": dt.date.fromordinal(int(ctx.panel.birth_ordinal[i])).isoformat(),
        "deathdate": died.isoformat() if died else None,
        "ssn": who.ssn, "drivers": who.drivers, "passport": who.passport, "prefix": who.prefix,
        "first": who.first, "middle": who.middle, "last": who.last, "suffix": who.suffix,
        "maiden": who.maiden, "marital": who.marital, "race": who.race, "ethnicity": who.ethnicity,
        "gender": "F" if ctx.panel.female[i] else "M", "birthplace": who.birthplace,
        "address": who.street, "city": who.city, "state": "Massachusetts", "county": who.county,
        "fips": who.fips, "zip": who.zip, "lat": who.lat, "lon": who.lon, "phone": who.phone,
        "healthcare_expenses": who.expenses, "healthcare_coverage": who.coverage, "income": who.income,
    })


def encounter_row(ctx: Context, i: int, enc_id: str, kind: str, encounter_class: str,
                  start: int, stop: int | None, organization: str, reason: tuple[str, str] | None = None,
                  billed_until: int | None = None) -> list[str]:
    """``stop=None`` is a stay still open at the export: billed so far, up to ``billed_until``."""
    code, description, base = codes.ENCOUNTER_TYPES[kind]
    days = max(1.0, ((stop if stop is not None else billed_until) - start) / 1440)
    total = base + (2450.0 * days if encounter_class == "inpatient" else 0.0) + (
        1100.0 if encounter_class == "emergency" else 60.0 * stable_fraction(ctx.seed, enc_id))
    payer_name, payer_id = ctx.payer(i)
    coverage = 0.0 if payer_name == "NO_INSURANCE" else total * (0.6 + 0.35 * stable_fraction(ctx.seed, "cov", enc_id))
    org_id = ctx.organization(organization)
    return _ordered("encounters", {
        "id": enc_id, "start": ctx.iso(start), "stop": ctx.iso(stop) if stop is not None else None,
        "patient": ctx.patient_id(i), "organization": org_id, "provider": ctx.provider(org_id, i),
        "payer": payer_id, "encounterclass": encounter_class, "code": code, "description": description,
        "base_encounter_cost": f"{base:.2f}", "total_claim_cost": f"{total:.2f}",
        "payer_coverage": f"{coverage:.2f}", "reasoncode": reason[0] if reason else None,
        "reasondescription": reason[1] if reason else None,
    })


def condition_row(ctx: Context, i: int, enc_id: str, code: str, description: str,
                  start: dt.date, stop: dt.date | None = None) -> list[str]:
    return _ordered("conditions", {
        "start": start.isoformat(), "stop": stop.isoformat() if stop else None,
        "patient": ctx.patient_id(i), "encounter": enc_id, "system": codes.SNOMED,
        "code": code, "description": description,
    })


def medication_row(ctx: Context, i: int, enc_id: str, med: tuple[str, str, float], start: int,
                   stop: int | None, dispenses: int, reason: tuple[str, str] | None = None) -> list[str]:
    payer_name, payer_id = ctx.payer(i)
    total = med[2] * dispenses
    return _ordered("medications", {
        "start": ctx.iso(start), "stop": ctx.iso(stop) if stop is not None else None,
        "patient": ctx.patient_id(i), "payer": payer_id, "encounter": enc_id, "code": med[0],
        "description": med[1], "base_cost": f"{med[2]:.2f}",
        "payer_coverage": "0.00" if payer_name == "NO_INSURANCE" else f"{0.8 * total:.2f}",
        "dispenses": dispenses, "totalcost": f"{total:.2f}",
        "reasoncode": reason[0] if reason else None, "reasondescription": reason[1] if reason else None,
    })


def observation_row(ctx: Context, i: int, enc_id: str, when: int, category: str, code: str,
                    description: str, value: object, units: str, kind: str) -> list[str]:
    # Written in header order directly: observations are most of the EHR's rows.
    return [ctx.iso(when), ctx.patient_id(i), enc_id, category, code, description, str(value), units, kind]


def vital_rows(ctx: Context, i: int, enc_id: str, when: int, level: float, rng: np.random.Generator) -> list[list[str]]:
    """One set of vital signs; ``level`` (0..9) is how acutely ill the patient is."""
    p = ctx.panel
    z = rng.standard_normal(7)
    female = bool(p.female[i])
    height_offset, bmi_offset = _body_size(ctx.seed, int(i))
    height = (162 if female else 176) + height_offset
    bmi = (32 if p.has_chronic(i, codes.OBESITY) else 26) + bmi_offset + 0.3 * z[0]
    weight = bmi * (height / 100) ** 2
    systolic = 128 + 12 * p.has_chronic(i, codes.HYPERTENSION) + 12 * z[1] - 1.5 * level
    spo2 = 97 - 2 * p.has_chronic(i, codes.COPD) - 0.7 * level + 0.8 * z[2]
    values = (
        f"{height:.1f}", f"{weight:.1f}", f"{bmi:.1f}", f"{systolic:.0f}",
        f"{systolic * 0.6 + 6 * z[3]:.0f}", f"{float(p.base_rhr[i]) + 4 + 3 * level + 5 * z[4]:.0f}",
        f"{15 + 0.8 * level + 1.5 * abs(z[5]):.0f}", f"{36.8 + 0.15 * level + 0.2 * z[6]:.1f}",
        f"{min(spo2, 100):.0f}",
    )
    return [observation_row(ctx, i, enc_id, when, "vital-signs", code, description, value, units, "numeric")
            for (code, description, units), value in zip(codes.VITALS, values, strict=True)]


def social_rows(ctx: Context, i: int, enc_id: str, when: int, rng: np.random.Generator) -> list[list[str]]:
    """Screening answers; like real Synthea the address question holds the street address."""
    who = ctx.identity(i)
    payer_name, _ = ctx.payer(i)
    return [
        observation_row(ctx, i, enc_id, when, "laboratory", *codes.ADDRESS_OBSERVATION, who.street, "", "text"),
        observation_row(ctx, i, enc_id, when, "survey", *codes.SMOKING_OBSERVATION, who.smoking, "", "text"),
        observation_row(ctx, i, enc_id, when, "survey", *codes.HOUSEHOLD_OBSERVATION, f"{who.household:.1f}", "{#}",
                        "numeric"),
        observation_row(ctx, i, enc_id, when, "survey", *codes.INSURANCE_OBSERVATION,
                        "Medicare" if payer_name == "Medicare" else "Private insurance" if payer_name not in (
                            "Medicaid", "NO_INSURANCE") else payer_name.replace("NO_INSURANCE", "None/uninsured"),
                        "", "text"),
        observation_row(ctx, i, enc_id, when, "survey", *codes.PHQ2_OBSERVATION, f"{int(rng.integers(0, 7)):.1f}",
                        "{score}", "numeric"),
    ]

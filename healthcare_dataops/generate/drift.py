"""Drift scenarios, each switched on from a date: before it, a run is byte-identical to one
without the drift, because drifts only change draws and values from that date on."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

OLDER_POPULATION = "older-population"
HEART_RATE_FIRMWARE = "heart-rate-firmware"
GLUCOSE_MMOL = "glucose-mmol"
# An analyzer recalibrated wrong at one lab, one kind per key analyte: (its LOINC codes,
# multiply by, add) applied at RECALIBRATED_LAB to what it reports, in the analyte's own units,
# about one and a half to two standard deviations of its values. The risk reads the true values.
RECALIBRATED_LAB = "citycore"
RECALIBRATIONS = {
    "hba1c-recalibration": (("4548-4",), 1.0, 1.5),
    "glucose-recalibration": (("2345-7", "2339-0"), 1.5, 0.0),
    "creatinine-recalibration": (("2160-0",), 1.8, 0.0),
    "potassium-recalibration": (("2823-3",), 1.0, 0.8),
    "sodium-recalibration": (("2951-2",), 1.0, 6.0),
    "hemoglobin-recalibration": (("718-7",), 1.0, 2.5),
    "wbc-recalibration": (("6690-2",), 1.6, 0.0),
}
KINDS = (OLDER_POPULATION, HEART_RATE_FIRMWARE, GLUCOSE_MMOL, *RECALIBRATIONS)

FIRMWARE_VENDOR = "pulsewear"  # the vendor that pushed the update
FIRMWARE_VERSION = "3.0.0"
HEART_RATE_OFFSET_BPM = 8
GLUCOSE_LAB = "citycore"  # the lab that switches glucose to mmol/L


@dataclass(frozen=True)
class Drift:
    kind: str
    start: dt.date

    def describe(self) -> dict[str, object]:
        detail: dict[str, object] = {"kind": self.kind, "from": self.start.isoformat()}
        if self.kind == HEART_RATE_FIRMWARE:
            detail.update(vendor=FIRMWARE_VENDOR, firmware=FIRMWARE_VERSION,
                          heart_rate_offset_bpm=HEART_RATE_OFFSET_BPM)
        elif self.kind == GLUCOSE_MMOL:
            detail.update(lab=GLUCOSE_LAB, units="mmol/L", loinc=["2345-7", "2339-0"])
        elif self.kind in RECALIBRATIONS:
            loinc, multiply, add = RECALIBRATIONS[self.kind]
            detail.update(lab=RECALIBRATED_LAB, loinc=list(loinc), reported_as=f"value * {multiply:g} + {add:g}")
        else:
            detail.update(effect="new patients aged 72-98; admission hazard x exp(0.06 * (age - 75))")
        return detail


def parse_drift(text: str, default_start: dt.date) -> Drift:
    kind, _, when = text.partition("@")
    if kind not in KINDS:
        raise ValueError(f"unknown drift {kind!r}; expected one of {', '.join(KINDS)}")
    try:
        start = dt.date.fromisoformat(when) if when else default_start
    except ValueError:
        raise ValueError(f"drift date {when!r} is not YYYY-MM-DD") from None
    return Drift(kind, start)


class DriftPlan:
    def __init__(self, drifts: tuple[Drift, ...] = ()):
        self.drifts = tuple(sorted(set(drifts), key=lambda d: (d.kind, d.start)))
        self._start = {}
        for drift in self.drifts:  # a kind given twice takes effect from its earliest date
            self._start[drift.kind] = min(drift.start, self._start.get(drift.kind, drift.start))

    def active(self, kind: str, day: dt.date) -> bool:
        start = self._start.get(kind)
        return start is not None and day >= start

    def admission_multiplier(self, day: dt.date, ages: np.ndarray) -> np.ndarray | float:
        if not self.active(OLDER_POPULATION, day):
            return 1.0
        return np.clip(np.exp(0.06 * (ages - 75)), 0.2, 4.0)

    def recalibrated(self, lab: str, loinc: str, day: dt.date, value: float) -> float:
        """What the lab reports for a true ``value`` under any recalibration active on ``day``."""
        if lab != RECALIBRATED_LAB:
            return value
        for kind, (codes, multiply, add) in RECALIBRATIONS.items():
            if loinc in codes and self.active(kind, day):
                value = value * multiply + add
        return value

    def describe(self) -> list[dict[str, object]]:
        return [d.describe() for d in self.drifts]

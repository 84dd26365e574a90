"""Drift scenarios, each switched on from a date: before it, a run is byte-identical to one
without the drift, because drifts only change draws and values from that date on."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

OLDER_POPULATION = "older-population"
HEART_RATE_FIRMWARE = "heart-rate-firmware"
GLUCOSE_MMOL = "glucose-mmol"
CREATININE_RECALIBRATION = "creatinine-recalibration"
POTASSIUM_RECALIBRATION = "potassium-recalibration"
# An analyzer recalibrated wrong at one lab: (lab, LOINC, multiply by, add) applied to what it
# reports, in the analyte's own units. Creatinine is one of the risk's inputs; potassium is not.
RECALIBRATIONS = {
    CREATININE_RECALIBRATION: ("citycore", "2160-0", 1.5, 0.0),
    POTASSIUM_RECALIBRATION: ("citycore", "2823-3", 1.0, 0.8),
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
            lab, loinc, multiply, add = RECALIBRATIONS[self.kind]
            detail.update(lab=lab, loinc=loinc, reported_as=f"value * {multiply:g} + {add:g}")
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
        for kind, (drifted_lab, drifted_loinc, multiply, add) in RECALIBRATIONS.items():
            if lab == drifted_lab and loinc == drifted_loinc and self.active(kind, day):
                value = value * multiply + add
        return value

    def describe(self) -> list[dict[str, object]]:
        return [d.describe() for d in self.drifts]

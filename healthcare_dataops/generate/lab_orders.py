"""Lab orders and their results: what a patient's blood says given their latent state."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from . import codes
from .lab_catalog import PANELS, rounded
from .population import Panel
from .seeding import stable_hex


@dataclass(frozen=True)
class LabOrder:
    lab: str
    patient: int
    panel: str  # key of lab_catalog.PANELS
    collected: dt.datetime  # hospital-local wall clock
    resulted: dt.datetime
    values: tuple[tuple[str, float], ...]  # (LOINC, value as the lab writes it)
    control_id: str  # MSH-10, unique per message
    placer: str
    filler: str

    @property
    def delivered(self) -> dt.date:
        return self.resulted.date()


def draw_values(panel: Panel, i: int, key: str, acute: float, rng: np.random.Generator) -> dict[str, float]:
    """One specimen's results. ``acute`` (0..1) is how sick the patient is right now."""
    z = rng.standard_normal(8)
    diabetic = panel.has_chronic(i, codes.DIABETES)
    if key in ("BMP", "POCGLU"):
        base = float(panel.base_glucose[i])
        glucose = base * (1 + 0.35 * acute) + (28 if diabetic else 9) * z[0]
        if key == "POCGLU":
            return {"2339-0": rounded("2339-0", max(glucose + 15 * z[1], 35))}
        aki = 0.6 if panel.has_chronic(i, codes.CKD_STAGE3) else 0.35
        creatinine = float(panel.base_creatinine[i]) * (1 + aki * acute) * np.exp(0.07 * z[1])
        sodium = float(panel.base_sodium[i]) - 4 * acute + 1.6 * z[2]
        return {
            "2345-7": rounded("2345-7", max(glucose, 35)),
            "3094-0": rounded("3094-0", 14 * creatinine ** 0.9 + 2.5 * z[3]),
            "2160-0": rounded("2160-0", creatinine),
            "17861-6": rounded("17861-6", 9.3 - 0.4 * acute + 0.35 * z[4]),
            "2951-2": rounded("2951-2", sodium),
            "2823-3": rounded("2823-3", 4.2 + 0.3 * (creatinine > 1.5) + 0.35 * z[5]),
            "2075-0": rounded("2075-0", sodium - 36 + 2 * z[6]),
            "2028-9": rounded("2028-9", 25 - 2 * acute + 2 * z[7]),
        }
    if key == "CBC":
        hemoglobin = float(panel.base_hemoglobin[i]) - 0.8 * acute + 0.4 * z[0]
        return {
            "6690-2": rounded("6690-2", 7.2 * np.exp(0.2 * z[1]) + 6 * acute * (1 + 0.3 * z[2])),
            "718-7": rounded("718-7", max(hemoglobin, 5.0)),
            "4544-3": rounded("4544-3", max(hemoglobin, 5.0) * 3 + 1.2 * z[3]),
            "777-3": rounded("777-3", 250 * np.exp(0.22 * z[4])),
        }
    if key == "A1C":
        return {"4548-4": rounded("4548-4", float(panel.base_hba1c[i]) + 0.2 * z[0])}
    raise ValueError(key)


def make_order(seed: int, lab: str, panel: Panel, i: int, key: str, collected: dt.datetime,
               turnaround_minutes: int, acute: float, rng: np.random.Generator) -> LabOrder:
    values = draw_values(panel, i, key, acute, rng)
    tag = stable_hex(seed, 12, "order", lab, i, key, collected.isoformat()).upper()
    return LabOrder(
        lab=lab, patient=i, panel=key, collected=collected,
        resulted=collected + dt.timedelta(minutes=turnaround_minutes),
        values=tuple((code, values[code]) for code in PANELS[key][2]),
        control_id=f"{lab[:2].upper()}{tag}", placer=f"ORD{tag[:9]}", filler=f"{lab[:1].upper()}{tag[3:12]}",
    )

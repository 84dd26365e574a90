"""The analytes and panels the labs result, with UCUM units, ranges and abnormal flags."""

from __future__ import annotations

from dataclasses import dataclass

MG_DL_PER_MMOL_L_GLUCOSE = 18.016


@dataclass(frozen=True)
class Analyte:
    loinc: str
    text: str
    unit: str
    low: float
    high: float
    critical_low: float | None
    critical_high: float | None
    decimals: int

    def text_value(self, value: float) -> str:
        return f"{value:.{self.decimals}f}"

    def reference_range(self) -> str:
        return f"{self.text_value(self.low)}-{self.text_value(self.high)}"

    def flag(self, value: float) -> str:
        """HL7 table 0078: LL/HH beyond the critical limits, L/H outside the range, else N."""
        if self.critical_low is not None and value < self.critical_low:
            return "LL"
        if self.critical_high is not None and value > self.critical_high:
            return "HH"
        if value < self.low:
            return "L"
        if value > self.high:
            return "H"
        return "N"


def _a(loinc, text, unit, low, high, clow, chigh, decimals) -> Analyte:
    return Analyte(loinc, text, unit, low, high, clow, chigh, decimals)


ANALYTES = {a.loinc: a for a in (
    _a("2345-7", "Glucose [Mass/volume] in Serum or Plasma", "mg/dL", 70, 99, 40, 450, 0),
    _a("2339-0", "Glucose [Mass/volume] in Blood", "mg/dL", 70, 99, 40, 450, 0),
    _a("3094-0", "Urea nitrogen [Mass/volume] in Serum or Plasma", "mg/dL", 7, 20, None, 100, 0),
    _a("2160-0", "Creatinine [Mass/volume] in Serum or Plasma", "mg/dL", 0.6, 1.3, None, 5.0, 2),
    _a("17861-6", "Calcium [Mass/volume] in Serum or Plasma", "mg/dL", 8.6, 10.3, 6.0, 13.0, 1),
    _a("2951-2", "Sodium [Moles/volume] in Serum or Plasma", "mmol/L", 136, 145, 120, 160, 0),
    _a("2823-3", "Potassium [Moles/volume] in Serum or Plasma", "mmol/L", 3.5, 5.1, 2.8, 6.2, 1),
    _a("2075-0", "Chloride [Moles/volume] in Serum or Plasma", "mmol/L", 98, 107, 80, 120, 0),
    _a("2028-9", "Carbon dioxide, total [Moles/volume] in Serum or Plasma", "mmol/L", 22, 29, 10, 40, 0),
    _a("6690-2", "Leukocytes [#/volume] in Blood by Automated count", "10*3/uL", 4.5, 11.0, 2.0, 30.0, 1),
    _a("718-7", "Hemoglobin [Mass/volume] in Blood", "g/dL", 12.0, 17.5, 7.0, 20.0, 1),
    _a("4544-3", "Hematocrit [Volume Fraction] of Blood by Automated count", "%", 36, 50, 20, 60, 1),
    _a("777-3", "Platelets [#/volume] in Blood by Automated count", "10*3/uL", 150, 400, 50, 1000, 0),
    _a("4548-4", "Hemoglobin A1c/Hemoglobin.total in Blood", "%", 4.0, 5.6, None, 14.0, 1),
)}

# Glucose as a lab reports it after switching to SI units (the glucose-mmol drift).
GLUCOSE_MMOL = {
    code: Analyte(code, ANALYTES[code].text, "mmol/L", 3.9, 5.5, 2.2, 25.0, 1)
    for code in ("2345-7", "2339-0")
}

PANELS = {
    "BMP": ("51990-0", "Basic metabolic panel - Blood",
            ("2345-7", "3094-0", "2160-0", "17861-6", "2951-2", "2823-3", "2075-0", "2028-9")),
    "CBC": ("58410-2", "CBC panel - Blood by Automated count", ("6690-2", "718-7", "4544-3", "777-3")),
    "A1C": ("4548-4", "Hemoglobin A1c/Hemoglobin.total in Blood", ("4548-4",)),
    "POCGLU": ("2339-0", "Glucose [Mass/volume] in Blood", ("2339-0",)),
}


def rounded(loinc: str, value: float) -> float:
    """The value exactly as the lab will write it, so risk inputs equal delivered values."""
    return round(max(value, 0.0), ANALYTES[loinc].decimals)

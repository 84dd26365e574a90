"""The hospital's high-utilization panel: who the patients are and their latent health.

Attributes live in columns (one numpy array each) because the daily simulation screens the
whole panel at once; names and addresses are re-derived from the seed when a writer needs
them, so memory per patient stays a few hundred bytes.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from . import codes
from .seeding import stream

BLOCK = 1024  # patients drawn together; patient i's draws depend only on (seed, i)
VENDORS = (  # (vendor slug, model, firmware before any update, share of devices)
    ("pulsewear", "PulseWear Band 3", "2.4.1", 0.5),
    ("vitatrack", "VitaTrack Watch S2", "5.0.3", 0.3),
    ("oxyring", "OxyRing Gen 2", "1.9.0", 0.2),
)
HOSPITALS = (  # (organization name, lab code of its core lab, share of the panel)
    ("NORTH GENERAL HOSPITAL", "northlab", 0.6),
    ("CITY MEDICAL CENTER", "citycore", 0.4),
)
REFERENCE_LAB = "quantum"  # outpatient specimens go to the reference lab
BEFORE_EPOCH = -1_000_000  # registration day of the panel the feeds begin with
_COLUMNS = (
    "reg_day", "birth_ordinal", "female", "chronic", "frailty", "base_hba1c", "base_glucose",
    "base_creatinine", "base_hemoglobin", "base_sodium", "base_rhr", "base_steps", "hospital",
    "vendor", "enroll_day", "device_zone", "older_cohort",
)


def age_years(birth_ordinal: int, on: dt.date) -> int:
    born = dt.date.fromordinal(int(birth_ordinal))
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


@dataclass(frozen=True)
class PanelConfig:
    seed: int
    initial_patients: int
    epoch: dt.date
    device_share: float
    registrations_per_day: float  # as a share of the initial panel


class Panel:
    """Columns of patient attributes; patient index i is also its place in every column."""

    def __init__(self, config: PanelConfig):
        self.config = config
        self.size = 0
        self.columns = {name: np.zeros(0) for name in _COLUMNS}
        self._block_cache: tuple[int, dict[str, np.ndarray]] | None = None
        self.register(config.initial_patients, reg_day=BEFORE_EPOCH, older=False)

    def __getattr__(self, name: str) -> np.ndarray:
        columns = self.__dict__.get("columns", {})
        if name in columns:
            return columns[name]
        raise AttributeError(name)

    def new_patients_on(self, day: int) -> int:
        rate = self.config.initial_patients * self.config.registrations_per_day
        return int(stream(self.config.seed, "registrations", day + 100_000).poisson(rate))

    def register(self, count: int, reg_day: int, older: bool) -> range:
        first = self.size
        parts: dict[str, list[np.ndarray]] = {name: [] for name in _COLUMNS}
        index = first
        while index < first + count:
            block, offset = divmod(index, BLOCK)
            take = min(BLOCK - offset, first + count - index)
            draws = self._block(block)
            cols = self._derive(draws, slice(offset, offset + take), reg_day, older)
            for name in _COLUMNS:
                parts[name].append(cols[name])
            index += take
        if count:
            keep = self.size > 0  # the empty start columns must not decide the dtypes
            for name in _COLUMNS:
                self.columns[name] = np.concatenate([self.columns[name]] * keep + parts[name])
            self.size += count
        return range(first, first + count)

    def _block(self, block: int) -> dict[str, np.ndarray]:
        if self._block_cache and self._block_cache[0] == block:
            return self._block_cache[1]
        rng = stream(self.config.seed, "panel", block)
        draws = {
            "age": rng.random(BLOCK), "female": rng.random(BLOCK),
            "chronic": rng.random((BLOCK, len(codes.CHRONIC))), "normal": rng.standard_normal((BLOCK, 8)),
            "hospital": rng.random(BLOCK), "device": rng.random((BLOCK, 5)),
        }
        self._block_cache = (block, draws)
        return draws

    def _derive(self, d, rows: slice, reg_day: int, older: bool):
        n = rows.stop - rows.start
        on = self.config.epoch + dt.timedelta(days=max(reg_day, 0))
        u_age = d["age"][rows]
        # A high-utilization panel is old; the older-population drift makes it much older.
        age = 72 + 26 * u_age ** 0.6 if older else 40 + 56 * u_age ** 0.85
        birth = (on.toordinal() - np.floor(age * 365.25)).astype(np.int64)
        female = d["female"][rows] < 0.52
        u_chronic = d["chronic"][rows]
        age_factor = np.clip(1 + 0.02 * (age - 70), 0.4, 1.6)
        chronic = np.zeros(n, dtype=np.int64)
        for condition in codes.CHRONIC:
            if condition.bit == codes.CKD_EARLY:
                hit = u_chronic[:, codes.CKD_STAGE3] < 0.08 * age_factor
            elif condition.bit == codes.CKD_STAGE3:
                u = u_chronic[:, codes.CKD_STAGE3]
                hit = (u >= 0.08 * age_factor) & (u < 0.26 * age_factor)
            else:
                hit = u_chronic[:, condition.bit] < condition.prevalence * age_factor
            chronic |= hit.astype(np.int64) << condition.bit

        def has(bit):
            return ((chronic >> bit) & 1).astype(float)

        z = d["normal"][rows]
        diabetic, ckd3, chf = has(codes.DIABETES), has(codes.CKD_STAGE3), has(codes.CHF)
        frailty = np.exp(0.55 * z[:, 0]) * (1 + 0.3 * (chf + has(codes.COPD) + ckd3) + 0.15 * diabetic)
        frailty *= np.clip(1 + 0.015 * (age - 70), 0.5, 1.6)
        hba1c = np.where(diabetic > 0, np.clip(7.6 + 1.2 * z[:, 1], 6.0, 13.0), 5.3 + 0.25 * z[:, 1])
        glucose = np.where(diabetic > 0, 0.85 * (28.7 * hba1c - 46.7), 92 + 8 * z[:, 2])
        creatinine = np.where(ckd3 > 0, 1.7 * np.exp(0.25 * z[:, 3]),
                              np.where(has(codes.CKD_EARLY) > 0, 1.05, 0.9) * np.exp(0.15 * z[:, 3]))
        creatinine *= np.where(female, 0.85, 1.0)
        hemoglobin = 13.8 - 1.2 * female - 1.5 * has(codes.ANEMIA) - 0.8 * ckd3 + 1.0 * z[:, 4]
        sodium = 139.5 + 1.8 * z[:, 5] - 1.5 * chf
        rhr = 68 + 6 * z[:, 6] + 4 * chf + 3 * has(codes.AFIB)
        steps = np.clip(5500 * np.exp(0.45 * z[:, 7]) * np.clip(1 - 0.012 * (age - 70), 0.4, 1.5)
                        / np.sqrt(frailty), 600, 16000)
        hospital = (d["hospital"][rows] >= HOSPITALS[0][2]).astype(np.int64)
        u_dev = d["device"][rows]
        has_device = u_dev[:, 0] < self.config.device_share
        shares = np.cumsum([v[3] for v in VENDORS])
        vendor = np.where(has_device, np.searchsorted(shares, u_dev[:, 1] * shares[-1], side="right"), -1)
        if reg_day < 0:  # most existing devices were enrolled before the feeds began
            enroll = np.where(u_dev[:, 2] < 0.85, -1 - np.floor(u_dev[:, 3] * 700), 1 + np.floor(u_dev[:, 3] * 120))
        else:
            enroll = reg_day + 1 + np.floor(u_dev[:, 3] * 20)
        zone = np.searchsorted([0.88, 0.92], u_dev[:, 4], side="right")
        cols = {
            "reg_day": np.full(n, reg_day), "birth_ordinal": birth, "female": female,
            "chronic": chronic, "frailty": frailty, "base_hba1c": hba1c, "base_glucose": glucose,
            "base_creatinine": creatinine, "base_hemoglobin": hemoglobin, "base_sodium": sodium,
            "base_rhr": rhr, "base_steps": steps, "hospital": hospital, "vendor": vendor,
            "enroll_day": np.where(has_device, enroll, 0).astype(np.int64), "device_zone": zone,
            "older_cohort": np.full(n, older),
        }
        return cols

    def has_chronic(self, i: int, bit: int) -> bool:
        return bool((int(self.chronic[i]) >> bit) & 1)

    def age_on(self, i: int, day: dt.date) -> int:
        return age_years(int(self.birth_ordinal[i]), day)


"""One device's day of sensor data, as numbers, before anything is written.

The writer and the risk function both call ``simulate``: the readmission risk's wearable
inputs are computed from exactly the readings the feed delivers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import codes
from .clock import DEVICE_ZONES, MINUTES_PER_DAY, dst_switches
from .population import Panel
from .seeding import day_key, stable_fraction, stream

IN_HOSPITAL = 16  # status bit; the low four bits are the illness level 0..15
NIGHT_END_MINUTE = 300  # the nightly heart rate is read from 00:00 to 05:00 local


@dataclass(frozen=True)
class DeviceDay:
    hr_minutes: np.ndarray
    hr_values: np.ndarray
    step_minutes: np.ndarray
    step_values: np.ndarray
    spo2_minutes: np.ndarray
    spo2_values: np.ndarray
    sleep_start_minute: int  # minutes after the previous local midnight
    sleep_end_minute: int
    sleep_hours: float

    def night_heart_rate(self) -> float | None:
        night = self.hr_values[self.hr_minutes < NIGHT_END_MINUTE]
        return float(night.mean()) if night.size else None

    def steps_total(self) -> int:
        return int(self.step_values.sum())


def bedtime(seed: int, i: int, day: int) -> int:
    return 1290 + int(stable_fraction(seed, "bedtime", i, day) * 135)  # 21:30..23:45


def wake_time(seed: int, i: int, day: int) -> int:
    return 330 + int(stable_fraction(seed, "wake", i, day) * 105)  # 05:30..07:15


def missing_minutes(panel: Panel, i: int, date) -> tuple[int, int]:
    """The local hour that does not exist on the spring-forward day, else an empty range."""
    zone = DEVICE_ZONES[int(panel.device_zone[i])]
    if zone.observes_dst and date == dst_switches(date.year)[0]:
        return 120, 180
    return 0, 0


def simulate(seed: int, panel: Panel, i: int, day: int, date, status: int, every: int) -> DeviceDay:
    rng = stream(seed, "wearable_day", i, day_key(day))
    level = status & 15
    in_hospital = bool(status & IN_HOSPITAL)
    wake, bed = wake_time(seed, i, day), bedtime(seed, i, day)
    minute = np.arange(MINUTES_PER_DAY)
    asleep = (minute < wake) | (minute >= bed)
    charging_from = wake + 20 + int(rng.integers(0, 40))
    worn = ~((minute >= charging_from) & (minute < charging_from + 45))
    if not in_hospital:  # taken off for the evening, so about 16 hours a day are recorded
        worn &= ~((minute >= bed - 300 - int(rng.integers(0, 120))) & (minute < bed - 10))
    gap = missing_minutes(panel, i, date)
    worn &= ~((minute >= gap[0]) & (minute < gap[1]))
    awake_worn = worn & ~asleep

    rest = float(panel.base_rhr[i]) + 2.2 * level + 1.5 * rng.standard_normal()
    active = np.zeros(MINUTES_PER_DAY, dtype=bool)
    target = float(panel.base_steps[i]) * max(0.1, 1 - 0.11 * level) * np.exp(0.25 * rng.standard_normal())
    if in_hospital:
        target *= 0.06
    cadence = 95 + 12 * rng.standard_normal()
    wanted = max(1, int(round(target / max(cadence, 50))))
    candidates = np.flatnonzero(awake_worn)
    for _ in range(64):  # walking comes in bouts of a few to twenty-odd minutes
        if active.sum() >= wanted or candidates.size == 0:
            break
        start = int(candidates[int(rng.integers(candidates.size))])
        active[start:start + int(rng.integers(3, 26))] = True
        active &= awake_worn
    step_minutes = np.flatnonzero(active)
    step_values = np.maximum(rng.poisson(max(cadence, 50), step_minutes.size) - 10, 1)

    grid = minute[(minute % every == 0) & worn]
    noise = rng.standard_normal(grid.size)
    sleeping = asleep[grid]
    hr = np.where(sleeping, rest - 3 + 2.5 * noise,
                  rest + (6 if in_hospital else 12) + 6 * noise + 28 * active[grid])
    night = np.flatnonzero(asleep & worn & (minute % 30 == 0))
    copd = 2 * panel.has_chronic(i, codes.COPD)
    spo2 = np.clip(np.round(96.5 - copd - 0.5 * level + rng.standard_normal(night.size)), 85, 100)
    start_prev = bedtime(seed, i, day - 1)
    awake_minutes = 10 + int(rng.integers(0, 50)) + 8 * level
    sleep_minutes = (MINUTES_PER_DAY - start_prev) + wake - awake_minutes
    return DeviceDay(
        hr_minutes=grid, hr_values=np.clip(np.round(hr), 35, 190).astype(np.int64),
        step_minutes=step_minutes, step_values=step_values.astype(np.int64),
        spo2_minutes=night, spo2_values=spo2.astype(np.int64),
        sleep_start_minute=start_prev, sleep_end_minute=wake, sleep_hours=round(sleep_minutes / 60, 2),
    )

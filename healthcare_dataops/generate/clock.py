"""Local time as the source systems write it: US time zones with daylight saving time.

The rules are coded here rather than read from the system's tz database so the files do not
change with the machine they are generated on.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache


@dataclass(frozen=True)
class Zone:
    name: str
    standard_offset_minutes: int
    observes_dst: bool


EASTERN = Zone("America/New_York", -300, True)
CENTRAL = Zone("America/Chicago", -360, True)
ARIZONA = Zone("America/Phoenix", -420, False)
DEVICE_ZONES = (EASTERN, CENTRAL, ARIZONA)
HOSPITAL_ZONE = EASTERN

MINUTES_PER_DAY = 1440
_CLOCK = tuple(f"{m // 60:02d}:{m % 60:02d}:00" for m in range(MINUTES_PER_DAY))


def _nth_sunday(year: int, month: int, n: int) -> dt.date:
    first = dt.date(year, month, 1)
    return first + dt.timedelta(days=(6 - first.weekday()) % 7 + 7 * (n - 1))


@lru_cache(maxsize=64)
def dst_switches(year: int) -> tuple[dt.date, dt.date]:
    """Second Sunday of March and first Sunday of November, both at 02:00 local."""
    return _nth_sunday(year, 3, 2), _nth_sunday(year, 11, 1)


def offset_minutes(zone: Zone, day: dt.date, minute_of_day: int) -> int:
    """UTC offset of a local wall-clock minute (the repeated autumn hour takes the later offset)."""
    if not zone.observes_dst:
        return zone.standard_offset_minutes
    start, end = dst_switches(day.year)
    summer = start < day < end or (day == start and minute_of_day >= 120) or (
        day == end and minute_of_day < 60
    )
    return zone.standard_offset_minutes + (60 if summer else 0)


def day_offsets(zone: Zone, day: dt.date) -> tuple[int, int, int]:
    """(offset before the switch, switch minute, offset after) so a whole day is cheap."""
    if zone.observes_dst:
        start, end = dst_switches(day.year)
        if day in (start, end):
            switch = 120 if day == start else 60
            return offset_minutes(zone, day, 0), switch, offset_minutes(zone, day, switch)
    offset = offset_minutes(zone, day, 0)
    return offset, MINUTES_PER_DAY, offset


def offset_text(offset: int, colon: bool = True) -> str:
    sign = "-" if offset < 0 else "+"
    hours, minutes = divmod(abs(offset), 60)
    return f"{sign}{hours:02d}:{minutes:02d}" if colon else f"{sign}{hours:02d}{minutes:02d}"


def clock_text(minute_of_day: int) -> str:
    return _CLOCK[minute_of_day]


def to_utc(local: dt.datetime, zone: Zone = HOSPITAL_ZONE) -> dt.datetime:
    minute = local.hour * 60 + local.minute
    return local - dt.timedelta(minutes=offset_minutes(zone, local.date(), minute))


def iso_z(local: dt.datetime, zone: Zone = HOSPITAL_ZONE) -> str:
    """Synthea's timestamps: UTC with a ``Z``."""
    return to_utc(local, zone).strftime("%Y-%m-%dT%H:%M:%SZ")


def hl7_ts(local: dt.datetime, zone: Zone = HOSPITAL_ZONE) -> str:
    """HL7 v2 DTM with the sender's UTC offset, e.g. ``20260105083000-0500``."""
    offset = offset_minutes(zone, local.date(), local.hour * 60 + local.minute)
    return local.strftime("%Y%m%d%H%M%S") + offset_text(offset, colon=False)


def iso_local(local: dt.datetime, zone: Zone) -> str:
    """ISO 8601 with the local offset, as devices write it."""
    offset = offset_minutes(zone, local.date(), local.hour * 60 + local.minute)
    return local.strftime("%Y-%m-%dT%H:%M:%S") + offset_text(offset)


def at_minute(day: dt.date, minute: float) -> dt.datetime:
    """A local datetime ``minute`` minutes after midnight of ``day`` (may run into later days)."""
    return dt.datetime(day.year, day.month, day.day) + dt.timedelta(minutes=int(minute))

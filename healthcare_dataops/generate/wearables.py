"""Vendors' daily Open mHealth exports: JSON Lines, one data point per line, per local day."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from healthcare_dataops.landing_layout import WEARABLES, day_folder, wearable_file_name

from .clock import DEVICE_ZONES, clock_text, day_offsets, offset_minutes, offset_text
from .drift import FIRMWARE_VENDOR, FIRMWARE_VERSION, HEART_RATE_FIRMWARE, HEART_RATE_OFFSET_BPM, DriftPlan
from .ledger import AtomicText, FileRecord, relative
from .population import VENDORS
from .seeding import day_key, stream, uuids_from_bytes
from .wearable_day import DeviceDay

WEARABLE_TABLE = "wearable_readings"
BLOCKS_KEPT = 200  # devices per file whose line layout is kept for placing faults
SCHEMAS = {  # the Open mHealth schema each measure is written with
    "heart-rate": "2.0", "step-count": "3.0", "oxygen-saturation": "2.0", "sleep-episode": "1.1",
}
_HEAD = ('{{"header":{{"id":"{id}","creation_date_time":"{created}","schema_id":{{"namespace":"omh",'
         '"name":"{name}","version":"{version}"}},"acquisition_provenance":{{"source_name":"{source}",'
         '"modality":"sensed"}},"user_id":"{user}"}},"body":')


class LocalClock:
    """ISO timestamps with the device's offset for one local day (and its neighbours)."""

    def __init__(self, zone_index: int, date: dt.date):
        self.zone = DEVICE_ZONES[zone_index]
        self.date = date
        self.before, self.switch, self.after = day_offsets(self.zone, date)
        self.texts = (offset_text(self.before), offset_text(self.after))
        self.day_text = date.isoformat()

    def stamp(self, minute: int) -> str:
        if minute >= 1440 or minute < 0:  # spills into the next or previous day
            other = self.date + dt.timedelta(days=minute // 1440)
            m = minute % 1440
            return f"{other.isoformat()}T{clock_text(m)}{offset_text(offset_minutes(self.zone, other, m))}"
        return f"{self.day_text}T{clock_text(minute)}{self.texts[minute >= self.switch]}"


def synced(minute: int) -> int:
    """Phones sync every four hours: a reading is created at the end of its block."""
    return min((minute // 240 + 1) * 240 + 3, 1439)


def device_lines(seed: int, i: int, day: int, date: dt.date, serial: str, vendor: int, zone: int,
                 data: DeviceDay, drift: DriftPlan) -> tuple[list[str], dict[str, int]]:
    slug, model, firmware, _ = VENDORS[vendor]
    updated = slug == FIRMWARE_VENDOR and drift.active(HEART_RATE_FIRMWARE, date)
    source = f"{model} firmware {FIRMWARE_VERSION if updated else firmware}"
    hr_shift = HEART_RATE_OFFSET_BPM if updated else 0
    clock = LocalClock(zone, date)
    total = 1 + data.hr_minutes.size + data.step_minutes.size + data.spo2_minutes.size
    ids = uuids_from_bytes(stream(seed, "device", i, day_key(day)).bytes(16 * total))
    heads = {name: _HEAD.replace("{name}", name).replace("{version}", version)
             .replace("{source}", source).replace("{user}", serial) for name, version in SCHEMAS.items()}
    lines = []
    k = 0

    def head(name: str, minute: int) -> str:
        nonlocal k
        k += 1
        return heads[name].format(id=ids[k - 1], created=clock.stamp(synced(minute)))

    start, end = data.sleep_start_minute - 1440, data.sleep_end_minute
    lines.append(head("sleep-episode", end) + (
        f'{{"effective_time_frame":{{"time_interval":{{"start_date_time":"{clock.stamp(start)}",'
        f'"end_date_time":"{clock.stamp(end)}"}}}},"total_sleep_time":{{"value":{data.sleep_hours},"unit":"h"}},'
        f'"is_main_sleep":true}}}}'))
    for minute, value in zip(data.hr_minutes.tolist(), data.hr_values.tolist(), strict=True):
        lines.append(head("heart-rate", minute) + (
            f'{{"heart_rate":{{"value":{value + hr_shift},"unit":"beats/min"}},'
            f'"effective_time_frame":{{"date_time":"{clock.stamp(minute)}"}}}}}}'))
    for minute, value in zip(data.step_minutes.tolist(), data.step_values.tolist(), strict=True):
        lines.append(head("step-count", minute) + (
            f'{{"step_count":{{"value":{value},"unit":"steps"}},"effective_time_frame":{{"time_interval":'
            f'{{"start_date_time":"{clock.stamp(minute)}","end_date_time":"{clock.stamp(minute + 1)}"}}}}}}}}'))
    for minute, value in zip(data.spo2_minutes.tolist(), data.spo2_values.tolist(), strict=True):
        lines.append(head("oxygen-saturation", minute) + (
            f'{{"oxygen_saturation":{{"value":{value},"unit":"%"}},"effective_time_frame":'
            f'{{"date_time":"{clock.stamp(minute)}"}},"measurement_method":"pulse oximetry"}}}}'))
    counts = {"sleep-episode": 1, "heart-rate": data.hr_minutes.size,
              "step-count": data.step_minutes.size, "oxygen-saturation": data.spo2_minutes.size}
    return lines, counts


class WearableDay:
    """The vendors' files for one local day, filled device by device."""

    def __init__(self, root: Path, date: dt.date):
        self.root = root
        folder = root / day_folder(WEARABLES, date)
        self.files = {}
        for slug, *_ in VENDORS:
            path = folder / wearable_file_name(slug, date)
            self.files[slug] = (AtomicText(path), FileRecord(
                relative(root, path), WEARABLE_TABLE, detail={"schemas": dict.fromkeys(SCHEMAS, 0), "blocks": []}))

    def write(self, vendor: int, lines: list[str], counts: dict[str, int]) -> None:
        out, record = self.files[VENDORS[vendor][0]]
        if len(record.detail["blocks"]) < BLOCKS_KEPT:  # (first line, heart rate, steps, SpO2)
            record.detail["blocks"].append((record.rows + 1, counts["heart-rate"], counts["step-count"],
                                            counts["oxygen-saturation"]))
        out.write("\n".join(lines) + "\n")
        record.rows += len(lines)
        for name, n in counts.items():
            record.detail["schemas"][name] += n

    def close(self) -> list[FileRecord]:
        records = []
        for out, record in self.files.values():
            out.close()
            records.append(record)
        return records

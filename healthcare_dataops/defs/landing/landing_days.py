"""A landing-zone listing → one fingerprint per delivery day, and what cannot be run yet.

Folders that are not partitions (a malformed name, a day before the first delivery day or
after the last partition) are reported, never run; a day whose files changed within the last
``SETTLE_SECONDS`` is held back, so an upload still in progress is not ingested half-written.
"""

import datetime as dt
import hashlib
from collections import defaultdict
from dataclasses import dataclass, field

from healthcare_dataops import landing_layout as layout
from healthcare_dataops.lib.partitions import delivery_day_partitions
from healthcare_dataops.resources.landing_zone import LandingFileStat

SETTLE_SECONDS = 60


@dataclass
class LandingDays:
    ready: dict[str, str] = field(default_factory=dict)  # day → fingerprint of its files
    arriving: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def survey(files: list[LandingFileStat], *, now_ns: int) -> LandingDays:
    by_day: dict[str, list[LandingFileStat]] = defaultdict(list)
    folders_by_problem: dict[str, set[str]] = defaultdict(set)
    first = delivery_day_partitions.get_first_partition_key()
    last = delivery_day_partitions.get_last_partition_key()
    for file in files:
        source, folder, _name = file.relative_path.split("/", 2)
        problem = _problem_with(folder, first, last)
        if problem:
            folders_by_problem[problem].add(f"{source}/{folder}")
        else:
            by_day[folder].append(file)
    days = LandingDays()
    settled_before = now_ns - SETTLE_SECONDS * 1_000_000_000
    for day, day_files in sorted(by_day.items()):
        if any(f.modified_ns > settled_before for f in day_files):
            days.arriving.append(day)
        else:
            days.ready[day] = fingerprint(day_files)
    if days.arriving:
        days.notes.append(f"Still arriving (changed in the last {SETTLE_SECONDS} s), held back: {days.arriving}.")
    for problem, folders in sorted(folders_by_problem.items()):
        days.notes.append(f"Not ingested, {problem}: {sorted(folders)}.")
    return days


def fingerprint(files: list[LandingFileStat]) -> str:
    listing = "\n".join(sorted(f"{f.relative_path}\t{f.size_bytes}\t{f.modified_ns}" for f in files))
    return hashlib.sha256(listing.encode()).hexdigest()[:16]


def _problem_with(folder: str, first: str, last: str | None) -> str | None:
    if not _is_calendar_day(folder):
        return "not a YYYY-MM-DD day folder"
    if folder < first:
        return f"before the first delivery day {first}"
    if last is None or folder > last:
        return f"not a delivery-day partition yet (the last is {last})"
    return None


def _is_calendar_day(name: str) -> bool:
    try:
        return layout.is_day_folder(name) and bool(dt.date.fromisoformat(name))
    except ValueError:
        return False  # 2026-02-30

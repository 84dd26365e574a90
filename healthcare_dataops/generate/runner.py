"""Runs the simulation from the population epoch and writes the requested days."""

from __future__ import annotations

import datetime as dt
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from healthcare_dataops.landing_layout import EHR, LABS, SOURCES, WEARABLES, is_day_folder

from .drift import Drift, DriftPlan
from .ehr import EhrDay, enrollment_file
from .faults import inject_faults
from .fhir import FhirDay
from .history import SIMULATED_HISTORY_DAYS, prior_history
from .labs import LAB_CODES, write_lab_day
from .ledger import FileRecord
from .manifest import load_previous, write_side_files
from .risk import RiskInputs
from .timeline import NullOutput, SimConfig, Simulation
from .wearables import WearableDay, device_lines

# The feeds the simulation writes; FHIR is the EHR's, in the format --ehr-format chooses.
GENERATED_SOURCES = (EHR, LABS, WEARABLES)
EHR_FORMATS = ("csv", "fhir", "both")
PROGRESS_EVERY_DAYS = 10


@dataclass(frozen=True)
class Options:
    landing: Path
    side: Path
    patients: int
    days: int
    start_date: dt.date
    epoch: dt.date
    seed: int = 7
    drifts: tuple[Drift, ...] = ()
    faults: tuple[str, ...] = ()
    faults_per_kind: int = 1
    heart_rate_every: int = 5
    device_share: float = 0.4
    sources: tuple[str, ...] = GENERATED_SOURCES
    clean: bool = False
    # How the EHR delivers: its Synthea CSV export, its FHIR R4 export, or both.
    ehr_format: str = "csv"

    @property
    def first_day(self) -> int:
        return (self.start_date - self.epoch).days

    def population(self) -> dict:
        return {"seed": self.seed, "patients": self.patients, "epoch": self.epoch.isoformat(),
                "device_share": self.device_share, "heart_rate_every_minutes": self.heart_rate_every}

    def describe(self) -> dict:
        return {**self.population(), "start_date": self.start_date.isoformat(), "days": self.days,
                "drift": [f"{d.kind}@{d.start.isoformat()}"
                          for d in sorted(self.drifts, key=lambda d: (d.kind, d.start))],
                "faults": list(self.faults), "faults_per_kind": self.faults_per_kind, "sources": list(self.sources),
                "ehr_format": self.ehr_format}


@dataclass
class Summary:
    files: int = 0
    rows: dict[str, int] = field(default_factory=dict)
    quarantined: int = 0
    faults: int = 0
    skipped: list[str] = field(default_factory=list)
    index_admissions: int = 0
    readmitted: int = 0
    seconds: float = 0.0
    manifest: Path | None = None


class DayOutput:
    """Where one written day's rows go while the simulation runs."""

    def __init__(self, options: Options, date: dt.date, history: bool = False):
        self.history = history  # only EHR rows while the days before the epoch are replayed
        writes_ehr = EHR in options.sources
        self.ehr_day = EhrDay(options.landing, date) if writes_ehr and options.ehr_format != "fhir" else None
        self.fhir_day = FhirDay(options.landing, date) if writes_ehr and options.ehr_format != "csv" else None
        self.enrollments = enrollment_file(options.landing, date) if WEARABLES in options.sources else None
        self.truth_rows: list[dict] = []
        self.input_rows: list[dict] = []

    def ehr(self, table: str, row: list[str]) -> None:
        if self.ehr_day:
            self.ehr_day.write(table, row)
        if self.fhir_day:
            self.fhir_day.write(table, row)

    def enrollment(self, row: list[str]) -> None:
        if self.enrollments and not self.history:
            self.enrollments.write(row)

    def truth(self, truth: dict, inputs: RiskInputs | None) -> None:
        """Every inpatient discharge; the risk's inputs where a readmission was drawn."""
        if self.history:
            return
        self.truth_rows.append(truth)
        if inputs is not None:
            self.input_rows.append({"encounter_id": truth["encounter_id"], **inputs.as_row()})

    def close(self) -> list[FileRecord]:
        records = self.ehr_day.close() if self.ehr_day else []
        records += self.fhir_day.close() if self.fhir_day else []
        return records + ([self.enrollments.close()] if self.enrollments else [])


def generate(options: Options, log=lambda message: None) -> Summary:
    started = time.perf_counter()
    if options.first_day < 0:
        raise ValueError(f"--start-date {options.start_date} is before the population epoch {options.epoch}")
    if options.clean:
        clean(options)
    drift = DriftPlan(options.drifts)
    sim = Simulation(SimConfig(options.seed, options.patients, options.epoch, options.device_share,
                               options.heart_rate_every, drift))
    records: list[FileRecord] = []
    truth, inputs = [], []
    last = options.first_day + options.days - 1
    # The first export also carries what happened in the year before the epoch, simulated as
    # the delivered days are, so the feeds open on a hospital in full swing (patients already
    # admitted, a year of admissions and ED visits behind every patient).
    first_export = DayOutput(options, options.epoch, history=True) if options.first_day == 0 else None
    if first_export and (first_export.ehr_day or first_export.fhir_day):
        for i in range(options.patients):
            prior_history(sim.ctx, i, first_export.ehr)
    for day in range(-SIMULATED_HISTORY_DAYS, last + 1):
        date = options.epoch + dt.timedelta(days=day)
        if day < 0:
            sim.step(day, first_export or NullOutput(), writing=first_export is not None)
            sim.take_labs(day)  # resulted before the feeds began: never delivered
            continue
        writing = day >= options.first_day
        out = (first_export if day == 0 else DayOutput(options, date)) if writing else None
        if out:
            out.history = False
        sim.step(day, out or NullOutput(), writing)
        labs = sim.take_labs(day)
        if not writing:
            continue
        records += out.close()
        truth += out.truth_rows
        inputs += out.input_rows
        if LABS in options.sources:
            for lab in LAB_CODES:
                records.append(write_lab_day(options.landing, sim.ctx, lab, date,
                                             [o for o in labs if o.lab == lab], drift))
        if WEARABLES in options.sources:
            records += write_wearables(options, sim, day, date, drift)
        done = day - options.first_day + 1
        # Every tenth day and the last: progress for a long run without a line per day.
        if done % PROGRESS_EVERY_DAYS == 0 or day == last:
            log(f"day {done} of {options.days} ({date}): {len(records)} files, "
                f"{sum(r.rows for r in records):,} records, {time.perf_counter() - started:.1f} s")
    faults, skipped = inject_faults(options, records) if options.faults else ([], [])
    previous = load_previous(options.side, options.population())
    write_side_files(options.side, build_manifest(options, drift, records, faults, skipped), previous, truth, inputs)
    index = [t for t in truth if t["cohort_exclusion"] is None]
    summary = Summary(files=len(records), faults=len(faults), skipped=[s["kind"] for s in skipped],
                      index_admissions=len(index), readmitted=sum(t["readmitted_30d"] for t in index),
                      manifest=options.side / "manifest.json")
    for r in records:
        summary.rows[r.table] = summary.rows.get(r.table, 0) + r.rows
        summary.quarantined += r.quarantined
    summary.seconds = time.perf_counter() - started
    return summary


def build_manifest(options: Options, drift: DriftPlan, records: list[FileRecord], faults: list[dict],
                   skipped: list[dict]) -> dict:
    return {
        "generator": "healthcare_dataops.generate", "format_version": 1,
        "population": options.population(), "options": options.describe(),
        "runs": [options.describe()], "drift": drift.describe(),
        "days": [(options.start_date + dt.timedelta(days=k)).isoformat() for k in range(options.days)],
        "faults": faults, "skipped_faults": skipped,
        "expected": {"files": {r.path: {"table": r.table, **r.counts()} for r in sorted(records, key=lambda r: r.path)},
                     "tables": {}},
    }


def write_wearables(options: Options, sim: Simulation, day: int, date: dt.date, drift: DriftPlan) -> list[FileRecord]:
    panel = sim.panel
    out = WearableDay(options.landing, date)
    first_data = np.maximum(panel.enroll_day + 1, 0)
    # A device stops sending on the day its owner dies.
    alive = sim.alive_on(day + 1)
    for i in np.flatnonzero((panel.vendor >= 0) & (first_data <= day) & (panel.reg_day <= day) & alive):
        i = int(i)
        lines, counts = device_lines(options.seed, i, day, date, sim.device_serial(i), int(panel.vendor[i]),
                                     int(panel.device_zone[i]), sim.device_day(i, day), drift)
        out.write(int(panel.vendor[i]), lines, counts)
    return out.close()


def clean(options: Options) -> None:
    """Remove earlier deliveries and side files, and nothing else."""
    for source in SOURCES:
        folder = options.landing / source
        if folder.is_dir():
            for child in folder.iterdir():
                if child.is_dir() and is_day_folder(child.name):
                    shutil.rmtree(child)
    for name in ("manifest.json", "readmission_truth.csv", "readmission_risk_inputs.csv"):
        (options.side / name).unlink(missing_ok=True)

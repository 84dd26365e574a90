"""Day-by-day simulation of the panel from the population epoch.

Each day screens every patient at once (one uniform row per patient from a stream for that
day), then handles the few with something happening. A run that starts writing on day 21
simulates days 0..20 without writing: nothing here depends on whether a day is written.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

import numpy as np

from . import codes
from .clock import iso_z
from .drift import OLDER_POPULATION, DriftPlan
from .ehr_rows import Context, patient_row
from .lab_orders import LabOrder
from .population import VENDORS, Panel, PanelConfig
from .seeding import day_key, stable_hex, stream
from .stay_endings import AGAINST_ADVICE, DIED, TRANSFERRED, after_discharge
from .stays import (
    Stay,
    admit,
    discharge,
    inpatient_day,
    open_stay_row,
    status_in_hospital,
    stay_rows,
    transfer,
)
from .visits import visit
from .wearable_day import DeviceDay, simulate

NONE = -(10**9)  # no day: nothing scheduled (days before the epoch are negative)
RING = 32  # days of daily status kept per patient: enough for the risk's wearable windows
ONSET_HAZARD = 0.0105  # per day, scaled by frailty: a high-utilization panel
FOLLOW_UP_RATE = 1 / 45
WELLNESS_RATE = 1 / 365
ED_ONLY_RATE = 0.003
REGISTRATIONS_PER_DAY = 0.0012


@dataclass(frozen=True)
class SimConfig:
    seed: int
    patients: int
    epoch: dt.date
    device_share: float
    heart_rate_every: int
    drift: DriftPlan


class NullOutput:
    """Where re-simulated days go: nowhere."""

    history = False

    def ehr(self, table, row): pass
    def enrollment(self, row): pass
    def truth(self, truth, inputs): pass


class Simulation:
    def __init__(self, config: SimConfig):
        self.config, self.seed, self.epoch = config, config.seed, config.epoch
        self.panel = Panel(PanelConfig(config.seed, config.patients, config.epoch, config.device_share,
                                       REGISTRATIONS_PER_DAY))
        self.ctx = Context(config.seed, self.panel, config.epoch)
        self.admit_day = np.zeros(0, dtype=np.int64)
        self.prodrome_start = np.zeros(0, dtype=np.int64)
        self.blocked_until = np.zeros(0, dtype=np.int64)
        self.anchor = np.zeros(0, dtype=np.int64)  # admission day of the latest stay, for recovery
        self.died_on = np.zeros(0, dtype=np.int64)
        # The reason (codes.PLANNED_REASONS index) of a booked admission, else -1.
        self.planned_reason = np.zeros(0, dtype=np.int64)
        self.severity = np.zeros(0)
        self.recovery = np.zeros(0)
        self.status = np.zeros((0, RING), dtype=np.uint8)
        self._grow()
        self.stays: dict[int, Stay] = {}
        self.admissions: dict[int, list[int]] = {}
        self.last_hba1c: dict[int, float] = {}
        self.pending_labs: dict[int, list[LabOrder]] = defaultdict(list)
        self.out = NullOutput()
        self.writing = False

    def _grow(self) -> None:
        extra = self.panel.size - self.admit_day.size
        self.admit_day = np.concatenate([self.admit_day, np.full(extra, NONE)])
        self.prodrome_start = np.concatenate([self.prodrome_start, np.full(extra, NONE)])
        self.blocked_until = np.concatenate([self.blocked_until, np.full(extra, NONE)])
        self.anchor = np.concatenate([self.anchor, np.full(extra, NONE)])
        self.died_on = np.concatenate([self.died_on, np.full(extra, NONE)])
        self.planned_reason = np.concatenate([self.planned_reason, np.full(extra, -1)])
        self.severity = np.concatenate([self.severity, np.zeros(extra)])
        self.recovery = np.concatenate([self.recovery, np.ones(extra)])
        self.status = np.concatenate([self.status, np.zeros((extra, RING), dtype=np.uint8)])

    # --- what the event handlers call -----------------------------------------------------
    def emit(self, table: str, row: list[str]) -> None:
        self.out.ehr(table, row)

    def lab(self, order: LabOrder) -> None:
        for code, value in order.values:
            if code == "4548-4" and order.delivered >= self.epoch:
                self.last_hba1c[order.patient] = value
        self.pending_labs[(order.delivered - self.epoch).days].append(order)

    def admission_starts(self, i: int) -> list[int]:
        return self.admissions.get(i, [])

    def alive_on(self, day: int) -> np.ndarray:
        """Who is alive at the start of ``day`` (nobody dies before the simulation starts)."""
        return (self.died_on == NONE) | (self.died_on >= day)

    def device_serial(self, i: int) -> str:
        return "WD-" + stable_hex(self.seed, 8, "device", i).upper()

    def first_data_day(self, i: int) -> int:
        """Readings are delivered from the day after enrollment (and never before the epoch)."""
        return max(0, int(self.panel.enroll_day[i]) + 1)

    def device_day(self, i: int, day: int) -> DeviceDay:
        date = self.epoch + dt.timedelta(days=day)
        return simulate(self.seed, self.panel, i, day, date, int(self.status[i, day % RING]),
                        self.config.heart_rate_every)

    def wearable_inputs(self, i: int, admit_day: int, discharge_day: int) -> tuple[float | None, float | None]:
        if self.panel.vendor[i] < 0:
            return None, None
        first = self.first_data_day(i)
        days = {d: self.device_day(i, d) for d in range(max(first, admit_day - 10), discharge_day) if d >= first}

        def night_mean(window):
            values = [v for d in window if d in days and (v := days[d].night_heart_rate()) is not None]
            return sum(values) / len(values) if values else None

        recent = night_mean(range(discharge_day - 3, discharge_day))
        baseline = night_mean(range(admit_day - 10, admit_day - 3))
        delta = round(recent - baseline, 4) if recent is not None and baseline is not None else None
        steps = [days[d].steps_total() for d in range(discharge_day - 7, discharge_day) if d in days]
        return delta, (round(sum(steps) / len(steps), 4) if steps else None)

    def take_labs(self, day: int) -> list[LabOrder]:
        orders = self.pending_labs.pop(day, [])
        return sorted(orders, key=lambda o: (o.lab, o.resulted, o.control_id))

    # --- one day --------------------------------------------------------------------------
    def step(self, day: int, out, writing: bool) -> None:
        self.out, self.writing = out, writing
        date = self.epoch + dt.timedelta(days=day)
        panel = self.panel
        new = panel.register(panel.new_patients_on(day), day, self.config.drift.active(OLDER_POPULATION, date)) \
            if day > 0 else range(0)
        self._grow()
        if writing:
            self._enrollments(day)
        n = panel.size
        u = stream(self.seed, "screen", day_key(day)).random((n, 4))
        busy = np.zeros(n, dtype=bool)
        busy[list(self.stays)] = True
        ages = (date.toordinal() - panel.birth_ordinal) / 365.25
        hazard = ONSET_HAZARD * panel.frailty * self.config.drift.admission_multiplier(date, ages)
        registered = (panel.reg_day <= day) & self.alive_on(day)
        onset = registered & ~busy & (self.admit_day == NONE) & (self.blocked_until <= day) & (u[:, 0] < hazard)
        for i in np.flatnonzero(onset):
            lead = int(stream(self.seed, "onset", i, day_key(day)).integers(0, 4))
            self.admit_day[i], self.prodrome_start[i] = day + lead, day
        for i in np.flatnonzero(self.admit_day == day):
            i = int(i)
            self._start(admit(self, i, day, int(self.planned_reason[i])))
            self.admit_day[i] = self.prodrome_start[i] = NONE
            self.planned_reason[i] = -1
        in_hospital_today = sorted(self.stays)
        for i in in_hospital_today:
            stay = self.stays[i]
            # Before the feeds only the discharge morning's labs matter (the risk reads the
            # latest; no earlier result is delivered).
            if day > stay.admit_day and (day >= 0 or day == stay.discharge_day):
                inpatient_day(self, stay, day)
        for i in in_hospital_today:
            if self.stays[i].discharge_day == day:
                self._discharge(self.stays.pop(i), day)
            elif writing and not out.history:
                open_stay_row(self, self.stays[i], day)
        self._visits(day, u, registered & ~busy & (self.anchor != day), new)
        self._record_status(day, in_hospital_today)

    def _start(self, stay: Stay) -> None:
        i = stay.patient
        self.stays[i] = stay
        self.anchor[i], self.severity[i], self.recovery[i] = stay.admit_day, stay.severity, stay.recovery_rate

    def _discharge(self, stay: Stay, day: int) -> None:
        """The stay ends: in a transfer (the episode goes on elsewhere), a death, or a discharge
        after which the next admission is drawn."""
        i = stay.patient
        truth = {"encounter_id": stay.encounter_id, "patient_id": self.ctx.patient_id(i),
                 "admission_start": _iso(self, stay.episode_start), "discharge_time": _iso(self, stay.discharge),
                 "true_probability": None, "readmitted_30d": None, "cohort_exclusion": None}
        if self.writing:
            stay_rows(self, stay)
        if stay.ending in (TRANSFERRED, DIED):
            if stay.ending == TRANSFERRED:
                self._start(transfer(self, stay, day))
                if self.writing and not self.out.history:
                    open_stay_row(self, self.stays[i], day)
            else:
                self.died_on[i] = day
                if self.writing:
                    self.emit("patients", patient_row(self.ctx, i, died=self.epoch + dt.timedelta(days=day)))
            if self.writing:
                self.out.truth({**truth, "cohort_exclusion": stay.ending}, None)
            return
        inputs = discharge(self, stay, day)
        p, gap, planned = after_discharge(self.seed, i, day, inputs)
        if gap is None:
            self.blocked_until[i] = day + 31  # no other admission inside the 30-day window
        elif planned is not None:
            needs = codes.PLANNED_REASONS[planned][2]
            self.planned_reason[i] = planned if needs is None or self.panel.has_chronic(i, needs) else 0
            self.admit_day[i] = day + gap
        else:
            self.admit_day[i], self.prodrome_start[i] = day + gap, max(day + 1, day + gap - 2)
        if self.writing:
            self.out.truth({
                **truth, "true_probability": f"{p:.6f}", "readmitted_30d": int(gap is not None and planned is None),
                "cohort_exclusion": AGAINST_ADVICE if stay.ending == AGAINST_ADVICE else None,
            }, inputs)

    def _visits(self, day: int, u: np.ndarray, free: np.ndarray, new: range) -> None:
        panel = self.panel
        majors = sum(((panel.chronic >> b) & 1) for b in (codes.DIABETES, codes.CHF, codes.COPD, codes.CKD_STAGE3))
        established = free & (panel.reg_day < day)
        # An office visit of the simulated history leaves nothing behind (the first export does
        # not carry them, and their results come before the feeds): only the last day's can
        # deliver a result on the first.
        if day >= -1:
            for i in np.flatnonzero(established & (u[:, 1] < FOLLOW_UP_RATE * (1 + 0.25 * majors))):
                visit(self, int(i), day, "follow_up" if u[i, 1] < FOLLOW_UP_RATE * 0.8 else "symptom")
            for i in np.flatnonzero(established & (u[:, 2] < WELLNESS_RATE)):
                visit(self, int(i), day, "wellness")
        for i in np.flatnonzero(established & (u[:, 3] < ED_ONLY_RATE * panel.frailty)):
            visit(self, int(i), day, "emergency")
        for i in new:
            visit(self, i, day, "new_patient")

    def _record_status(self, day: int, in_hospital_today: list[int]) -> None:
        since = day - self.anchor
        level = np.where(self.anchor != NONE, np.rint(self.severity * np.exp(-self.recovery * since)), 0)
        prodrome = (self.prodrome_start != NONE) & (self.prodrome_start <= day)
        level = np.maximum(level, np.where(prodrome, np.minimum(6, 2 * (day - self.prodrome_start + 1)), 0))
        column = np.minimum(level, 15).astype(np.uint8)
        for i in in_hospital_today:
            stay = self.stays.get(i)
            column[i] = status_in_hospital(stay, day) if stay else column[i] | 16
        self.status[:, day % RING] = column

    def _enrollments(self, day: int) -> None:
        panel = self.panel
        owners = panel.vendor >= 0
        due = (panel.enroll_day == day) | ((day == 0) & (panel.enroll_day < 0))
        for i in np.flatnonzero(owners & due):
            i = int(i)
            minute = int(panel.enroll_day[i]) * 1440 + 600 + int(stable_hex(self.seed, 4, "enroll", i), 16) % 360
            self.out.enrollment([self.device_serial(i), self.ctx.patient_id(i), VENDORS[int(panel.vendor[i])][1],
                                 _iso(self, minute)])


def _iso(sim: Simulation, minute: int) -> str:
    return iso_z(sim.ctx.local(minute))

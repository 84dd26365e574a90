"""Per step of a finished run, from the instance's event log: time, rows in and out.

A step is one asset, or one multi-asset (a table with its quarantine), or one check. Rows
in are what the step says it read (bronze: records delivered, silver: ``rows_in``); a step
that does not say reads what its upstream assets wrote in the same run.

A run over a range of days records one materialization per day. Counts kept per day come
with the day's own read count or quarantine reasons and are summed; a count of the whole
table (``wearable_vitals``, ``patient_features``) is repeated on every day and counts once.
"""

from __future__ import annotations

import collections
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import dagster as dg

ROW_COUNT = "dagster/row_count"
READ_COUNTS = ("rows_in", "records_delivered")
# What only a day's own counts carry.
PER_DAY_KEYS = (*READ_COUNTS, "reasons")
QUARANTINE_SUFFIX = "_quarantine"


@dataclass
class StepStats:
    step: str
    started_at: float = 0.0
    seconds: float = 0.0
    assets: list[str] = field(default_factory=list)
    checks: int = 0
    rows_in: int | None = None
    rows_out: int | None = None
    rows_quarantined: int = 0
    engine_startup_seconds: float | None = None
    peak_memory_bytes: int | None = None
    finished: bool | None = None  # None: started, never ended (its process died)

    @property
    def is_check(self) -> bool:
        return self.checks > 0 and not self.assets

    @property
    def rows_per_second(self) -> float | None:
        rows = self.rows_in if self.rows_in else self.rows_out
        return rows / self.seconds if rows and self.seconds > 0 else None


@dataclass(frozen=True)
class RunStats:
    run_id: str
    status: str
    started_at: float
    ended_at: float
    steps: list[StepStats]
    # The step that failed, or that was running when the process died.
    stopped_in: str | None = None

    def step(self, name: str) -> StepStats:
        return next(s for s in self.steps if s.step == name)

    @classmethod
    def from_json(cls, data: dict) -> RunStats:
        """Stats as ``dataclasses.asdict`` wrote them into a results file."""
        return cls(**{**data, "steps": [StepStats(**s) for s in data["steps"]]})


def attach_peak_memory(stats: RunStats, samples: list[tuple[float, int]]) -> None:
    """Each step's peak: the largest sample taken while it ran (steps run one at a time)."""
    for step in stats.steps:
        during = [rss for at, rss in samples if step.started_at <= at <= step.started_at + step.seconds]
        step.peak_memory_bytes = max(during, default=None)


def open_instance(dagster_home: Path) -> dg.DagsterInstance:
    return dg.DagsterInstance.from_config(str(dagster_home))


def latest_run_stats(dagster_home: Path, parents: Mapping[str, Iterable[str]]) -> RunStats:
    """``parents``: each asset's upstream assets, to count the rows a step without its own
    read counts took in."""
    with open_instance(dagster_home) as instance:
        run = instance.get_runs(limit=1)[0]
        records = instance.all_logs(run.run_id)
    steps: dict[str, StepStats] = {}
    written: collections.Counter[str] = collections.Counter()
    whole_table: dict[tuple[str, str], int] = {}
    run_start = run_end = stopped_in = None
    for record in records:
        event = record.dagster_event
        if event is None:
            continue
        kind = event.event_type
        if kind == dg.DagsterEventType.RUN_START:
            run_start = record.timestamp
        elif kind in (dg.DagsterEventType.RUN_SUCCESS, dg.DagsterEventType.RUN_FAILURE):
            run_end = record.timestamp
        if event.step_key is None:
            continue
        stats = steps.setdefault(event.step_key, StepStats(event.step_key))
        if kind == dg.DagsterEventType.STEP_START:
            stats.started_at = record.timestamp
        elif kind == dg.DagsterEventType.STEP_SUCCESS:
            stats.seconds = event.event_specific_data.duration_ms / 1000
            stats.finished = True
        elif kind == dg.DagsterEventType.STEP_FAILURE:
            stats.finished = False
            stopped_in = event.step_key
        elif kind == dg.DagsterEventType.ASSET_CHECK_EVALUATION:
            stats.checks += 1
        elif kind == dg.DagsterEventType.ASSET_MATERIALIZATION:
            _count(stats, event.event_specific_data.materialization, written, whole_table)
    for (step, asset), rows in whole_table.items():
        _add_rows(steps[step], asset, rows, written)
    for stats in steps.values():
        if stats.rows_in is None and stats.assets:
            upstream = {p for asset in stats.assets for p in parents.get(asset, ()) if p not in stats.assets}
            stats.rows_in = sum(written[p] for p in upstream) if upstream else None
    ordered = sorted((s for s in steps.values() if s.finished), key=lambda s: s.started_at)
    unfinished = [s.step for s in steps.values() if s.finished is None and s.started_at]
    stopped_in = stopped_in or (unfinished[0] if unfinished else None)
    return RunStats(run.run_id, run.status.value, run_start or 0.0, run_end or 0.0, ordered, stopped_in)


def _count(stats: StepStats, materialization: dg.AssetMaterialization, written, whole_table) -> None:
    asset = materialization.asset_key.to_user_string()
    metadata = {key: value.value for key, value in materialization.metadata.items()}
    if asset not in stats.assets:
        stats.assets.append(asset)
    rows = metadata.get(ROW_COUNT)
    if isinstance(rows, int):
        if any(key in metadata for key in PER_DAY_KEYS):
            _add_rows(stats, asset, rows, written)
        else:
            whole_table[(stats.step, asset)] = rows
    for name in READ_COUNTS:
        if isinstance(metadata.get(name), int):
            stats.rows_in = (stats.rows_in or 0) + metadata[name]
    if isinstance(metadata.get("engine_startup_seconds"), float):
        stats.engine_startup_seconds = metadata["engine_startup_seconds"]


def _add_rows(stats: StepStats, asset: str, rows: int, written) -> None:
    if asset.endswith(QUARANTINE_SUFFIX):
        stats.rows_quarantined += rows
    else:
        stats.rows_out = (stats.rows_out or 0) + rows
        written[asset] += rows

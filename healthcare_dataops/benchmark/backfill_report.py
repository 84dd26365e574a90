"""The report's section on backfills of different lengths (``--backfill-days``)."""

from __future__ import annotations

from collections.abc import Sequence

from healthcare_dataops.benchmark.backfill_run import BackfillResult, peak_ratio
from healthcare_dataops.benchmark.markdown import gib, value
from healthcare_dataops.benchmark.targets import BACKFILL_DAYS, BACKFILL_SCALE, Target, judge_backfill


def backfill_lines(result: BackfillResult) -> list[str]:
    scale, generated = result.scale, result.generated
    lengths = [run.days for run in result.runs]
    lines = [
        f"## Backfill length: {scale.name}, {scale.patients:,} patients × {' and '.join(map(str, lengths))} days", "",
        f"Feeds: {generated['files']:,} files, {generated['bytes'] / 2**20:,.0f} MiB for {max(lengths)} days, "
        f"generated once in {generated['seconds']:.0f} s (not counted below). Each length: "
        "`dagster asset materialize --select '*'` cold over the first days of them, in a fresh lakehouse "
        "and instance.", "",
        "| days | wall s | s per day | peak memory | step at the peak | outcome |", "|---:|---:|---:|---:|---|---|",
    ]
    for run in result.runs:
        seconds = run.cold["seconds"]
        outcome = "finished" if run.cold["failure"] is None else f"the command {run.cold['failure']}"
        lines.append(f"| {run.days} | {seconds:.1f} | {seconds / run.days:.1f} | {gib(run.cold['peak_memory_bytes'])} "
                     f"| {f'`{run.peak_step}`' if run.peak_step else ''} | {outcome} |")
    short, long = lengths[0], lengths[-1]
    lines += ["", f"The {long}-day backfill's peak over the {short}-day one's: "
              f"{value(peak_ratio(result, short, long), '×')}.", ""]
    return lines


def backfill_target(backfills: Sequence[BackfillResult]) -> Target:
    """Judged where the mode ran at its scale with both lengths; not measured otherwise."""
    short, long = BACKFILL_DAYS
    ratios = [peak_ratio(b, short, long) for b in backfills if b.scale.name == BACKFILL_SCALE]
    return judge_backfill(next((r for r in ratios if r is not None), None))

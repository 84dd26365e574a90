"""The results as markdown: one section per scale, the targets, the machine and versions."""

from __future__ import annotations

from collections.abc import Sequence

from healthcare_dataops.benchmark.backfill_report import backfill_lines, backfill_target
from healthcare_dataops.benchmark.end_to_end_report import end_to_end_lines
from healthcare_dataops.benchmark.engine_workers import workers_lines
from healthcare_dataops.benchmark.fhir_path import fhir_path_lines
from healthcare_dataops.benchmark.figures import HEAVY_STEPS, headline, layer_of, step_seconds, time_profile
from healthcare_dataops.benchmark.markdown import count, value
from healthcare_dataops.benchmark.run_stats import RunStats, StepStats
from healthcare_dataops.benchmark.targets import GIB, Target, judge, judge_growth
from healthcare_dataops.scenarios.drift_results import drift_scenario_lines

# What would shorten each part of the profile, for the targets it misses.
REMEDIES = {
    "bronze": "the wearable lines are parsed on the engine's cores, but Sail's Delta writer commits a day "
    "of raw readings largely on one core: more engine workers for the parse, more files per day's write",
    "silver": "silver hashes every row's pseudonyms (HMAC) and sorts each batch for the newest delivery "
    "per key, on the engine: more engine workers",
    "asset checks": "the Great Expectations suites run in pandas in the step's process, a partition range "
    "at a time: fewer expectations where the engine can count the same",
    "Dagster between steps": "the in-process executor still logs every event to the instance's "
    "sqlite: PostgreSQL storage, or fewer events per step",
    "process start": "importing Dagster, Spark Connect, MLflow, GX and Evidently: a long-lived "
    "code server (production) pays it once",
}


# What a step that holds the most memory holds, and how to hold less.
MEMORY_REMEDIES = {
    "asset checks": "a check holds one partition range of its table in pandas for Great Expectations: "
    "smaller ranges",
    "bronze": "bronze holds a chunk of days of parsed records on the engine before its commit: smaller "
    "chunks (lakehouse/chunks.py)",
    "silver": "Sail sorts a chunk's batch for the de-duplication window: smaller chunks",
}
CHECK_STEP_SUFFIXES = ("_expectations", "_warnings", "_conservation")


def render(
    results: Sequence, machine: dict, backfills: Sequence = (), workers: Sequence = (), scenarios: Sequence = (),
    fhir_paths: Sequence = (),
) -> tuple[str, list[Target]]:
    """``results``: ScaleResults; ``backfills``: BackfillResults, where ``--backfill-days`` ran;
    ``workers``: WorkersResults, where ``--engine-workers`` ran; ``scenarios``:
    DriftScenarioResults, where ``--drift-scenario`` ran; ``fhir_paths``: FhirPathResults, where
    ``--fhir-path`` ran."""
    lines = ["# healthcare-dataops benchmark", "", _machine_lines(machine), ""]
    targets: list[Target] = []
    for result in results:
        section, judged = _scale_section(result)
        lines += section
        targets += judged
    for backfill in backfills:
        lines += backfill_lines(backfill)
    for result in workers:
        lines += workers_lines(result)
    for result in scenarios:
        lines += drift_scenario_lines(result)
    for result in fhir_paths:
        lines += fhir_path_lines(result)
    by_scale = {r.scale.name: r for r in results}
    if "small" in by_scale and "medium" in by_scale:
        small, medium = (headline(by_scale[name])["cold_seconds"] for name in ("small", "medium"))
        targets.append(judge_growth(small, medium))
    targets.append(backfill_target(backfills))
    lines += ["## Targets (2 cores, 24 GiB)", "", "| target | scale | limit | measured | verdict |",
              "|---|---|---:|---:|---|"]
    lines += [f"| {t.name} | {t.scale} | {value(t.limit, t.unit)} | {value(t.measured, t.unit)} | {t.verdict()} |"
              for t in targets]
    missed = [t for t in targets if t.met is False]
    if missed:
        lines += ["", "Missed: see each scale's *Where the time goes* for the parts that cost the most, and "
                  "what would shorten them."]
    return "\n".join(lines) + "\n", targets


def _scale_section(result) -> tuple[list[str], list[Target]]:
    figures = headline(result)
    scale, cold = result.scale, result.cold_stats
    generated = result.generated
    lines = [
        f"## {scale.describe()}", "",
        f"Feeds: {generated['files']:,} files, {generated['bytes'] / 2**20:,.0f} MiB for {scale.days + 1} days "
        f"({_rows(generated['rows'])}), generated in {generated['seconds']:.0f} s (not counted below).", "",
        f"### The full graph, cold: `dagster asset materialize --select '*'` over {scale.days} days", "",
        _cold_headline(result, figures), "",
        "Rows in: what the step read (its own counts, else what its upstream steps wrote in the run); "
        "rows/s: rows in over seconds. Peak memory: the process tree's RSS while the step ran, memory "
        "an earlier step left allocated included.", "",
        "| step | rows in | rows out | quarantined | seconds | rows/s | peak memory GiB |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    lines += [_step_row(step) for step in cold.steps if not step.is_check]
    checks = [s for s in cold.steps if s.is_check]
    check_peak = max((s.peak_memory_bytes or 0 for s in checks), default=0)
    lines.append(f"| {len(checks)} asset-check steps | | | | {sum(s.seconds for s in checks):.1f} | "
                 f"| {check_peak / GIB:.2f} |")
    lines += ["", "### Where the time goes (cold run)", "", "| part | seconds | share |", "|---|---:|---:|"]
    wall = result.cold["seconds"]
    for part, seconds in time_profile(result):
        lines.append(f"| {part} | {seconds:.1f} | {seconds / wall:.0%} |")
    if result.end_to_end:
        lines += ["", *end_to_end_lines(result, figures)]
    if result.complete:
        lines += ["", *_engine_lines(result, figures), "", *_incremental_lines(result, figures), "",
                  "### Drift", "",
                  f"`feature_drift_sensor` tick: median {figures['sensor_tick_seconds'] * 1000:.0f} ms of "
                  f"{len(result.sensor_tick.runs)} ticks ({result.sensor_tick.outcome}). "
                  f"`feature_drift_report` step: {value(figures['drift_report_seconds'], 's')}."]
    else:
        lines += ["", "The engines, one more day and the drift sensor need the cold run's tables: not measured."]
    lines.append("")
    judged = judge(scale.name, figures)
    missed = [t for t in judged if t.met is False]
    if missed:
        lines += ["### What would fix the missed targets", ""]
        lines += [f"- {remedy}" for remedy in _remedies(result)]
        lines.append("")
    return lines, judged


def _cold_headline(result, figures) -> str:
    cold = result.cold_stats
    peak = f"peak memory **{figures['cold_peak_memory_bytes'] / GIB:.2f} GiB** (RSS of the run's process tree)"
    if result.cold["failure"] is None:
        return f"**{figures['cold_seconds']:.1f} s** wall, {peak}, run `{cold.run_id}` ({cold.status})."
    return (f"**The run did not finish**: the command {result.cold['failure']} after "
            f"{result.cold['seconds']:.0f} s, in step `{cold.stopped_in}`; {peak}; run `{cold.run_id}` "
            f"({cold.status}). The steps it finished:")


def _engine_lines(result, figures) -> list[str]:
    engines = result.engines
    lines = [
        "### The two heaviest steps beside a single-process baseline", "",
        "Same Parquet files in, Parquet out (exported once from the run's silver tables). *Pipeline*: "
        "the step in the cold run (Sail, Delta in and out, its metadata counts). Median of "
        f"{engines['duckdb']['steps'][HEAVY_STEPS[0]]['runs'].__len__()} runs where a run is under a minute.", "",
        "| step | rows in | pipeline s | Sail s | DuckDB s | JVM Spark local[*] s | pipeline / DuckDB "
        "| Sail / DuckDB | JVM / DuckDB | JVM / Sail |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for step in HEAVY_STEPS:
        ratios = figures["ratios"][step]
        seconds = {engine: engines[engine]["steps"][step]["seconds"] for engine in engines}
        pipeline = step_seconds(result.cold_stats, step)
        lines.append(
            f"| {step} | {engines['duckdb']['steps'][step]['rows_in']:,} | {value(pipeline, '')} "
            f"| {seconds['sail']:.2f} | {seconds['duckdb']:.2f} | {seconds['local[*]']:.2f} "
            f"| {value(ratios['pipeline_over_duckdb'], '×')} | {value(ratios['sail_over_duckdb'], '×')} "
            f"| {value(ratios['jvm_over_duckdb'], '×')} | {value(ratios['jvm_over_sail'], '×')} |"
        )
    rows = {engine: [engines[engine]["steps"][s]["rows_out"] for s in HEAVY_STEPS] for engine in engines}
    same = len({tuple(r) for r in rows.values()}) == 1
    lines += ["", "Engine start-up: " + ", ".join(
        f"{engine} {engines[engine]['startup_seconds']:.1f} s" for engine in engines)
        + ". Peak memory: " + ", ".join(f"{engine} {engines[engine]['peak_memory_bytes'] / GIB:.2f} GiB"
                                          for engine in engines)
        + f". Rows out {'equal on every engine' if same else 'DIFFER: ' + str(rows)}."]
    return lines


def _incremental_lines(result, figures) -> list[str]:
    stats: RunStats = result.incremental_stats
    return [
        "### One more day on the 30 loaded: `dagster job execute -j daily_pipeline_job`", "",
        f"{figures['incremental_seconds']:.1f} s wall (peak memory "
        f"{result.incremental['peak_memory_bytes'] / GIB:.2f} GiB): "
        f"**{figures['incremental_ratio']:.1%}** of the cold run's {figures['cold_seconds']:.1f} s; "
        f"its steps took {value(figures['incremental_steps_ratio'], '%')} of the same steps in the cold run.", "",
        "| slowest steps | seconds |", "|---|---:|",
        *[f"| {s.step} | {s.seconds:.1f} |" for s in sorted(stats.steps, key=lambda s: -s.seconds)[:6]],
    ]


def _remedies(result) -> list[str]:
    parts = sorted(time_profile(result), key=lambda p: -p[1])
    chosen = []
    for part, _seconds in parts[:3]:
        for prefix, remedy in REMEDIES.items():
            if part.startswith(prefix) and remedy not in chosen:
                chosen.append(f"{part}: {remedy}")
    return [*chosen, *_memory_remedies(result)]


def _memory_remedies(result) -> list[str]:
    """For the step that held the most memory, and the one a failed run stopped in."""
    cold = result.cold_stats
    steps = [s for s in cold.steps if s.peak_memory_bytes]
    names = [max(steps, key=lambda s: s.peak_memory_bytes).step] if steps else []
    if cold.stopped_in and cold.stopped_in not in names:
        names.append(cold.stopped_in)
    remedies = []
    for name in names:
        kind = "asset checks" if name.endswith(CHECK_STEP_SUFFIXES) else layer_of(StepStats(name))
        remedy = next((r for prefix, r in MEMORY_REMEDIES.items() if kind.startswith(prefix)), None)
        if remedy:
            remedies.append(f"memory in `{name}`: {remedy}")
    return remedies


def _step_row(step: StepStats) -> str:
    rate, peak = step.rows_per_second, step.peak_memory_bytes
    return (f"| {step.step} | {count(step.rows_in)} | {count(step.rows_out)} | {count(step.rows_quarantined)} "
            f"| {step.seconds:.1f} | {f'{rate:,.0f}' if rate else ''} | {f'{peak / GIB:.2f}' if peak else ''} |")


def _machine_lines(machine: dict) -> str:
    packages = ", ".join(f"{name} {version}" for name, version in machine["packages"].items())
    return (f"{machine['date']} on {machine['cores']} cores, {machine['memory_gib']} GiB ({machine['cpu']}, "
            f"{machine['os']}); Python {machine['python']}, {machine['java']}; {packages}.")


def _rows(rows: dict[str, int]) -> str:
    return ", ".join(f"{name} {n:,}" for name, n in sorted(rows.items()))

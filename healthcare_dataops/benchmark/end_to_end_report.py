"""The report's section on the pipeline beside the DuckDB baseline from the same landing files."""

from __future__ import annotations

from healthcare_dataops.benchmark.engine_timing import REPEATS
from healthcare_dataops.benchmark.figures import PATHS
from healthcare_dataops.benchmark.markdown import count, gib, value
from healthcare_dataops.benchmark.run_stats import RunStats
from healthcare_dataops.landing_layout import EHR_TABLES

PATH_TITLES = {"wearables": "wearable path", "ehr": "EHR path"}
PART_TITLES = {"wearable_readings": "wearable readings", "wearable_vitals": "wearable vitals", "ehr": "EHR"}
# Each table the baseline writes, and the cold run's step that writes it in silver.
TABLE_STEPS = {"wearable_readings": "wearable_readings_silver", "wearable_vitals": "wearable_vitals",
               **{table: f"{table}_silver" for table in EHR_TABLES}}


def end_to_end_lines(result, figures: dict) -> list[str]:
    baseline, paths = result.end_to_end, figures["end_to_end"]
    parts = baseline["parts"]
    inputs = baseline["inputs"]
    lines = [
        "### The pipeline beside a single-process baseline, end to end", "",
        f"DuckDB (`benchmark/duckdb_end_to_end.py`: one process, an in-memory database, every core) reads the "
        f"landing files the cold run read ({_files(inputs['wearables'])} for the wearable path; "
        f"{_files(inputs['ehr'])} for EHR) and writes Parquet: the readings (patient through the device "
        "enrollments, canonical units, UTC, the newest delivery of each device, measure and time), "
        "`hourly_vitals_sql` over them, and the five EHR tables typed and de-duplicated by silver's keys. "
        "No pseudonyms, quarantine, provenance, checks or Delta: the ratio is what they and Dagster cost. "
        "*Pipeline*: the cold run's steps of the path, step time only (process start and Dagster between steps "
        f"are left out). *DuckDB*: median of {REPEATS} runs where one takes under a minute.", "",
        "| | pipeline s | DuckDB s | pipeline / DuckDB | DuckDB peak memory |", "|---|---:|---:|---:|---:|",
        f"| whole graph, cold (every source, gold, model, drift report) | {value(figures['cold_seconds'], '')} "
        f"| | | |",
    ]
    for name, path in PATHS.items():
        figure = paths[name]
        peak = max(parts[part]["peak_memory_bytes"] for part in path.baseline_parts)
        lines.append(f"| {PATH_TITLES[name]} | {value(figure['pipeline_seconds'], '')} "
                     f"| {value(figure['duckdb_seconds'], '')} | {value(figure['ratio'], '×')} | {gib(peak)} |")
    both = [paths[name]["pipeline_seconds"] for name in PATHS]
    pipeline = None if None in both else sum(both)
    duckdb = sum(paths[name]["duckdb_seconds"] for name in PATHS)
    lines += [
        f"| both paths | {value(pipeline, '')} | {value(duckdb, '')} "
        f"| {value(pipeline / duckdb if pipeline is not None and duckdb else None, '×')} "
        f"| {gib(baseline['peak_memory_bytes'])} (process) |", "",
        "DuckDB's parts: " + ", ".join(f"{PART_TITLES[part]} {p['seconds']:.2f} s ({p['rows_out']:,} rows)"
                                       for part, p in parts.items())
        + f"; the whole process {baseline['process_seconds']:.1f} s (start-up and repeats included).", "",
        *[line for name in PATHS for line in (_counted(PATH_TITLES[name], paths[name]), "")],
        *_rows_lines(result.cold_stats, parts),
    ]
    return lines


def _counted(title: str, figure: dict) -> str:
    steps = ", ".join(f"`{step}`" for step in figure["steps"])
    text = f"{title[0].upper()}{title[1:]} counted: {steps} ({figure['check_steps']} of them asset-check steps)."
    if figure["missing_steps"]:
        text += " Not in the run: " + ", ".join(f"`{s}`" for s in figure["missing_steps"]) + " (pipeline n/a)."
    return text


def _rows_lines(cold: RunStats, parts: dict) -> list[str]:
    """Rows side by side: equal where the feeds are clean, but for what silver quarantines."""
    baseline_rows = {"wearable_readings": parts["wearable_readings"]["rows_out"],
                     "wearable_vitals": parts["wearable_vitals"]["rows_out"], **parts["ehr"]["tables"]}
    steps = {s.step: s for s in cold.steps}
    lines = ["| table | pipeline rows | pipeline quarantined | DuckDB rows |", "|---|---:|---:|---:|"]
    for table, step_name in TABLE_STEPS.items():
        step = steps.get(step_name)
        lines.append(f"| {table} | {count(step.rows_out) if step else 'n/a'} "
                     f"| {count(step.rows_quarantined) if step else 'n/a'} | {count(baseline_rows.get(table))} |")
    return lines


def _files(inputs: dict) -> str:
    return f"{inputs['files']:,} files, {inputs['bytes'] / 2**20:,.0f} MiB"

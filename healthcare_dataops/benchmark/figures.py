"""A scale's headline figures, from its runs: what the report prints and the targets judge."""

from __future__ import annotations

from dataclasses import dataclass

from healthcare_dataops.benchmark.run_stats import RunStats, StepStats
from healthcare_dataops.landing_layout import EHR_TABLES

HEAVY_STEPS = ("wearable_vitals", "patient_features")
DRIFT_REPORT_STEP = "feature_drift_report"


@dataclass(frozen=True)
class PipelinePath:
    """The cold run's steps that do what parts of the end-to-end baseline do."""

    steps: tuple[str, ...]
    # Tables whose asset-check steps count too, while checks are steps of their own: a step
    # that materializes no asset and whose name starts with one of them.
    tables: tuple[str, ...]
    baseline_parts: tuple[str, ...]

    def counted(self, stats: RunStats) -> list[StepStats]:
        prefixes = tuple(f"{table}_" for table in self.tables)
        return [s for s in stats.steps
                if s.step in self.steps or (not s.assets and s.step.startswith(prefixes))]


PATHS = {
    "wearables": PipelinePath(
        ("wearable_bronze", "device_enrollments_silver", "wearable_readings_silver", "wearable_vitals"),
        ("device_enrollments", "wearable_readings", "wearable_vitals"),
        ("wearable_readings", "wearable_vitals"),
    ),
    "ehr": PipelinePath(("ehr_bronze", *(f"{table}_silver" for table in EHR_TABLES)), EHR_TABLES, ("ehr",)),
}


def headline(result) -> dict:
    """The figures; those a failed cold run left unmeasured are None."""
    cold, failed = result.cold_stats, result.cold["failure"] is not None
    figures = {
        "cold_failed": int(failed),
        "cold_seconds": None if failed else result.cold["seconds"],
        "cold_peak_memory_bytes": result.cold["peak_memory_bytes"],
        "drift_report_seconds": step_seconds(cold, DRIFT_REPORT_STEP),
        "incremental_seconds": None, "incremental_ratio": None, "incremental_steps_ratio": None,
        "sensor_tick_seconds": None, "ratios": {},
        "end_to_end": end_to_end(result) if result.end_to_end else {},
    }
    if result.complete:
        figures |= {
            "incremental_seconds": result.incremental["seconds"],
            "incremental_ratio": result.incremental["seconds"] / result.cold["seconds"],
            "incremental_steps_ratio": _steps_ratio(result.incremental_stats, cold),
            "sensor_tick_seconds": result.sensor_tick.seconds,
            "ratios": {step: _ratios(result, step) for step in HEAVY_STEPS},
        }
    return figures


def end_to_end(result) -> dict[str, dict]:
    """Per path: the pipeline's seconds (None unless every one of its steps finished), the
    steps counted, DuckDB's seconds for the same work, and the ratio."""
    figures = {}
    for name, path in PATHS.items():
        counted = path.counted(result.cold_stats)
        missing = sorted(set(path.steps) - {s.step for s in counted})
        pipeline = None if missing else sum(s.seconds for s in counted)
        duckdb = sum(result.end_to_end["parts"][part]["seconds"] for part in path.baseline_parts)
        figures[name] = {
            "pipeline_seconds": pipeline, "duckdb_seconds": duckdb,
            "ratio": pipeline / duckdb if pipeline is not None and duckdb else None,
            "steps": [s.step for s in counted], "check_steps": sum(not s.assets for s in counted),
            "missing_steps": missing,
        }
    return figures


def time_profile(result) -> list[tuple[str, float]]:
    """The cold run's wall time, cut where it went."""
    steps, wall = result.cold_stats.steps, result.cold["seconds"]
    first_step = min((s.started_at for s in steps), default=result.cold["launched_at"])
    # One engine per run process: every Spark step reports the same start-up, paid by the first.
    startup = max((s.engine_startup_seconds or 0.0 for s in steps), default=0.0)
    layers: dict[str, float] = {}
    for step in steps:
        layers[layer_of(step)] = layers.get(layer_of(step), 0.0) + step.seconds
    if "silver (Spark)" in layers:
        layers["silver (Spark)"] -= startup
    parts = [("process start, definitions load, run set-up", first_step - result.cold["launched_at"]),
             ("Spark engine start-up (embedded Sail)", startup), *layers.items()]
    parts.append(("Dagster between steps, run end, process exit", wall - sum(p[1] for p in parts)))
    return parts


def layer_of(step: StepStats) -> str:
    if step.is_check:
        return "asset checks (Great Expectations, conservation)"
    name = step.step
    if name.endswith("_bronze"):
        return "bronze: read and parse files, write Delta"
    if name in ("risk_model", "patient_risk_scores"):
        return "model: train, register, score (XGBoost, MLflow)"
    if name == DRIFT_REPORT_STEP:
        return "drift report (Evidently)"
    if name == "patient_features":
        return "gold (Spark)"
    return "silver (Spark)"


def step_seconds(stats: RunStats, step: str) -> float | None:
    return next((s.seconds for s in stats.steps if s.step == step), None)


def _steps_ratio(incremental: RunStats, cold: RunStats) -> float | None:
    names = {s.step for s in incremental.steps}
    cold_total = sum(s.seconds for s in cold.steps if s.step in names)
    return sum(s.seconds for s in incremental.steps) / cold_total if cold_total else None


def _ratios(result, step: str) -> dict[str, float | None]:
    baseline = result.engines["duckdb"]["steps"][step]["seconds"]
    sail = result.engines["sail"]["steps"][step]["seconds"]
    jvm = result.engines["local[*]"]["steps"][step]["seconds"]
    pipeline = step_seconds(result.cold_stats, step)
    return {
        "pipeline_over_duckdb": pipeline / baseline if pipeline and baseline else None,
        "sail_over_duckdb": sail / baseline if baseline else None,
        "jvm_over_duckdb": jvm / baseline if baseline else None,
        "jvm_over_sail": jvm / sail if sail else None,
    }

"""The report: a killed cold run, the end-to-end baseline beside the pipeline's paths, backfills."""

import json
from pathlib import Path

import pytest

from healthcare_dataops.benchmark.backfill_run import BackfillResult, BackfillRun
from healthcare_dataops.benchmark.engine_workers import (
    WorkersResult,
    WorkersRun,
    parse_worker_counts,
    workers_engine_env,
)
from healthcare_dataops.benchmark.report import render
from healthcare_dataops.benchmark.run_stats import RunStats, StepStats
from healthcare_dataops.benchmark.scale_run import ScaleResult
from healthcare_dataops.benchmark.scales import SCALES

GIB = 2**30
MACHINE = {"date": "2026-11-21", "cores": 2, "memory_gib": 23.5, "cpu": "cpu", "os": "Linux", "python": "3.11",
           "java": "openjdk 17", "packages": {"dagster": "1.13.27"}}


def _part(seconds: float, rows: int, **extra) -> dict:
    return {"seconds": seconds, "runs": [seconds], "rows_out": rows, "peak_memory_bytes": GIB // 2, **extra}


def _end_to_end() -> dict:
    return {"days": 30, "process_seconds": 40.0, "peak_memory_bytes": 2 * GIB,
            "inputs": {"wearables": {"files": 120, "bytes": 14 * GIB}, "ehr": {"files": 150, "bytes": GIB}},
            "parts": {"wearable_readings": _part(20.0, 31_000_000), "wearable_vitals": _part(2.0, 900_000),
                      "ehr": _part(5.0, 2_000_000, tables={"patients": 10_000, "encounters": 500_000})}}


def _killed_medium_run() -> ScaleResult:
    launched = 1_000.0
    steps = [
        StepStats("wearable_bronze", started_at=launched + 20, seconds=1200.0, assets=["wearable_readings_raw"],
                  rows_in=31_000_000, rows_out=31_000_000, peak_memory_bytes=3 * GIB, finished=True),
        StepStats("wearable_readings_silver", started_at=launched + 1230, seconds=600.0,
                  assets=["wearable_readings"], rows_in=31_000_000, rows_out=31_000_000,
                  peak_memory_bytes=9 * GIB, finished=True),
    ]
    stats = RunStats("run-1", "STARTED", launched + 10, 0.0, steps,
                     stopped_in="wearable_readings_critical_expectations")
    cold = {"seconds": 2000.0, "peak_memory_bytes": 23 * GIB, "launched_at": launched,
            "failure": "killed by signal 9", "log": "cold.log"}
    generated = {"seconds": 400.0, "files": 3720, "bytes": 14 * GIB, "rows": {"wearable_readings": 32_000_000}}
    return ScaleResult(SCALES["medium"], Path("/nowhere"), generated, cold, stats, end_to_end=_end_to_end())


def test_a_killed_cold_run_shows_its_finished_steps_the_failure_and_where_memory_went():
    markdown, targets = render([_killed_medium_run()], MACHINE)

    assert "**The run did not finish**: the command killed by signal 9 after 2000 s" in markdown
    assert "in step `wearable_readings_critical_expectations`" in markdown
    assert "| wearable_readings_silver | 31,000,000 | 31,000,000 | 0 | 600.0 | 51,667 | 9.00 |" in markdown
    assert "not measured" in markdown
    verdicts = {t.name: t.verdict() for t in targets}
    assert verdicts["full graph completes (failed runs)"] == "**missed**"
    assert verdicts["peak memory, full graph"] == "**missed**"
    assert verdicts["full graph, cold"] == "not measured"
    assert verdicts["one new day over the 30-day backfill"] == "not measured"
    # The remedies name the step that held the most memory and the one the run died in.
    assert "memory in `wearable_readings_silver`" in markdown
    assert "memory in `wearable_readings_critical_expectations`: a check holds" in markdown


def test_a_path_the_killed_run_did_not_finish_has_no_pipeline_time_and_its_target_is_not_measured():
    markdown, targets = render([_killed_medium_run()], MACHINE)
    assert "### The pipeline beside a single-process baseline, end to end" in markdown
    assert "| wearable path | n/a | 22.0 | n/a | 0.50 GiB |" in markdown
    assert "Not in the run: `device_enrollments_silver`, `wearable_vitals` (pipeline n/a)." in markdown
    assert "| wearable_readings | 31,000,000 | 0 | 31,000,000 |" in markdown
    assert "| patients | n/a | n/a | 10,000 |" in markdown
    verdicts = {t.name: t.verdict() for t in targets}
    assert verdicts["wearable path over the DuckDB end-to-end baseline"] == "not measured"
    assert verdicts["90-day backfill peak over the 30-day peak"] == "not measured"


def _finished_small_run(*, check_steps: bool) -> ScaleResult:
    """Every step of both paths; with ``check_steps``, their checks as steps of their own."""
    names = ["ehr_bronze", "patients_silver", "encounters_silver", "conditions_silver", "medications_silver",
             "observations_silver", "wearable_bronze", "device_enrollments_silver", "wearable_readings_silver",
             "wearable_vitals", "lab_bronze", "patient_features"]
    steps = [StepStats(name, seconds=10.0, assets=[name], finished=True) for name in names]
    if check_steps:
        steps += [StepStats(name, seconds=1.0, checks=1, finished=True) for name in (
            "wearable_readings_critical_expectations", "wearable_vitals_quality_warnings",
            "patients_conservation", "lab_results_conservation", "patient_features_critical_expectations")]
    stats = RunStats("run-2", "SUCCESS", 0.0, 300.0, steps)
    cold = {"seconds": 300.0, "peak_memory_bytes": 5 * GIB, "launched_at": 0.0, "failure": None, "log": "cold.log"}
    generated = {"seconds": 30.0, "files": 400, "bytes": GIB, "rows": {}}
    return ScaleResult(SCALES["small"], Path("/nowhere"), generated, cold, stats, end_to_end=_end_to_end())


@pytest.mark.parametrize(("check_steps", "wearable_seconds", "ehr_seconds"), [(True, 42.0, 61.0), (False, 40.0, 60.0)])
def test_the_paths_count_their_steps_and_whatever_check_steps_of_their_tables_exist(
        check_steps, wearable_seconds, ehr_seconds):
    markdown, targets = render([_finished_small_run(check_steps=check_steps)], MACHINE)
    assert f"| wearable path | {wearable_seconds:.1f} | 22.0 | {wearable_seconds / 22:.2f}× | 0.50 GiB |" in markdown
    assert f"| EHR path | {ehr_seconds:.1f} | 5.0 | {ehr_seconds / 5:.2f}× | 0.50 GiB |" in markdown
    assert "| whole graph, cold (every source, gold, model, drift report) | 300.0 |" in markdown
    counted = "`wearable_vitals`, `wearable_readings_critical_expectations`, `wearable_vitals_quality_warnings`"
    assert (counted in markdown) is check_steps
    assert f"({2 if check_steps else 0} of them asset-check steps)" in markdown
    [path] = [t for t in targets if t.name.startswith("wearable path")]
    assert path.measured == pytest.approx(wearable_seconds / 22) and path.met is (wearable_seconds / 22 <= 2)


def test_a_result_read_back_from_its_json_renders_the_same():
    result = _killed_medium_run()
    again = ScaleResult.from_json(json.loads(json.dumps(result.to_json())))
    assert render([again], MACHINE) == render([result], MACHINE)


def _backfill(peak_30: float, peak_90: float, failure_90: str | None = None) -> BackfillResult:
    def run(days: int, peak: float, failure: str | None) -> BackfillRun:
        steps = [StepStats("wearable_readings_silver", seconds=days * 2.0, assets=["wearable_readings"],
                           peak_memory_bytes=int(peak * GIB), finished=True)]
        cold = {"seconds": days * 4.0, "peak_memory_bytes": int(peak * GIB), "launched_at": 0.0,
                "failure": failure, "log": "cold.log", "killed_at_memory_limit": failure is not None}
        return BackfillRun(days, cold, RunStats(f"run-{days}", "SUCCESS", 0.0, days * 4.0, steps))

    generated = {"seconds": 90.0, "files": 1000, "bytes": 4 * GIB, "rows": {}}
    return BackfillResult(SCALES["small"], Path("/nowhere"), generated,
                          [run(30, peak_30, None), run(90, peak_90, failure_90)])


def test_backfills_are_reported_and_judge_the_peak_target():
    markdown, targets = render([], MACHINE, [_backfill(5.0, 5.5)])
    assert "## Backfill length: small, 1,000 patients × 30 and 90 days" in markdown
    assert "| 90 | 360.0 | 4.0 | 5.50 GiB | `wearable_readings_silver` | finished |" in markdown
    assert "The 90-day backfill's peak over the 30-day one's: 1.10×." in markdown
    [target] = [t for t in targets if t.name == "90-day backfill peak over the 30-day peak"]
    assert target.verdict() == "met"
    # Stopped at the memory limit: the peak it reached is the least it needed, and misses.
    _, targets = render([], MACHINE, [_backfill(5.0, 20.0, "was stopped by the benchmark at its memory limit")])
    assert [t.verdict() for t in targets if t.name.startswith("90-day")] == ["**missed**"]


def test_a_backfill_read_back_from_its_json_renders_the_same():
    backfill = _backfill(5.0, 5.5)
    again = BackfillResult.from_json(json.loads(json.dumps(backfill.to_json())))
    assert render([], MACHINE, [again]) == render([], MACHINE, [backfill])


def _workers(bronze_seconds: dict[int, float], failed: int | None = None) -> WorkersResult:
    def run(workers: int, seconds: float) -> WorkersRun:
        finished = workers != failed
        steps = [StepStats("wearable_bronze", seconds=seconds, finished=True),
                 StepStats("device_enrollments_silver", seconds=1.0, finished=True),
                 StepStats("wearable_readings_silver", seconds=seconds / 2, finished=finished)]
        cold = {"seconds": seconds * 2, "peak_memory_bytes": GIB, "launched_at": 0.0,
                "failure": None if finished else "exited with 1", "log": "cold.log"}
        return WorkersRun(workers, cold, RunStats(f"run-{workers}", "SUCCESS", 0.0, seconds * 2, steps))

    generated = {"seconds": 60.0, "files": 300, "bytes": GIB, "rows": {"wearable_readings": 3_000_000}}
    return WorkersResult(SCALES["medium"], 3, Path("/nowhere"), generated,
                         [run(w, s) for w, s in bronze_seconds.items()])


def test_engine_worker_counts_are_reported_with_their_speed_up_over_the_first():
    markdown, _ = render([], MACHINE, [], [_workers({1: 60.0, 2: 33.0})])
    assert "## Engine workers: medium, 10,000 patients × 3 days" in markdown
    assert "| 1 | 60.0 | 1.0 | 30.0 | 91.0 | 1.00× | finished |" in markdown
    assert "| 2 | 33.0 | 1.0 | 16.5 | 50.5 | 1.80× | finished |" in markdown
    # A run whose silver step failed has no total and no speed-up, and says how it ended.
    markdown, _ = render([], MACHINE, [], [_workers({1: 60.0, 2: 33.0}, failed=2)])
    assert "| 2 | 33.0 | 1.0 |  |  |  | the command exited with 1 |" in markdown


def test_engine_workers_read_back_from_their_json_render_the_same():
    result = _workers({1: 60.0, 2: 33.0})
    again = WorkersResult.from_json(json.loads(json.dumps(result.to_json())))
    assert render([], MACHINE, [], [again]) == render([], MACHINE, [], [result])


@pytest.mark.parametrize("text", ["2", "0,1", "one,two", ""])
def test_engine_worker_counts_need_two_or_more_positive_counts(text):
    with pytest.raises(ValueError, match="--engine-workers"):
        parse_worker_counts(text)


def test_local_cluster_settings_give_the_engine_a_task_per_worker():
    env = workers_engine_env(3)
    assert env["SAIL_MODE"] == "local-cluster"
    assert env["SAIL_CLUSTER__WORKER_INITIAL_COUNT"] == env["SAIL_CLUSTER__WORKER_MAX_COUNT"] == "3"
    # Sail schedules a task region at once: the readings' checks need 21 slots on two workers.
    assert int(env["SAIL_CLUSTER__WORKER_TASK_SLOTS"]) >= 21
    assert env["SAIL_EXECUTION__DEFAULT_PARALLELISM"] == env["HEALTHCARE_DATAOPS_ENGINE_PARALLELISM"] == "3"


def test_one_worker_is_the_embedded_engine_one_task_at_a_time():
    env = workers_engine_env(1)
    assert "SAIL_MODE" not in env
    assert env["SAIL_EXECUTION__DEFAULT_PARALLELISM"] == env["HEALTHCARE_DATAOPS_ENGINE_PARALLELISM"] == "1"

"""A cold run that dies (the OOM killer's SIGKILL) is reported with what it finished, not lost."""

import json
from pathlib import Path

from healthcare_dataops.benchmark.report import render
from healthcare_dataops.benchmark.run_stats import RunStats, StepStats
from healthcare_dataops.benchmark.scale_run import ScaleResult
from healthcare_dataops.benchmark.scales import SCALES

GIB = 2**30


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
    return ScaleResult(SCALES["medium"], Path("/nowhere"), generated, cold, stats)


def test_a_killed_cold_run_shows_its_finished_steps_the_failure_and_where_memory_went():
    markdown, targets = render([_killed_medium_run()], {
        "date": "2026-11-21", "cores": 2, "memory_gib": 23.5, "cpu": "cpu", "os": "Linux", "python": "3.11",
        "java": "openjdk 17", "packages": {"dagster": "1.13.27"}})

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
    assert "memory in `wearable_readings_critical_expectations`: a check loads" in markdown


def test_a_result_read_back_from_its_json_renders_the_same():
    result = _killed_medium_run()
    machine = {"date": "2026-11-21", "cores": 2, "memory_gib": 23.5, "cpu": "cpu", "os": "Linux",
               "python": "3.11", "java": "openjdk 17", "packages": {"dagster": "1.13.27"}}
    again = ScaleResult.from_json(json.loads(json.dumps(result.to_json())))
    assert render([again], machine) == render([result], machine)

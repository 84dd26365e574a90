"""``healthcare-dataops benchmark`` at the tiny scale, as a user runs it: the command keeps working.

Timings are not asserted (they belong to the benchmark, not the suite); what is asserted is
that every figure is measured, adds up, that the engines computed the same rows, and that
the end-to-end DuckDB baseline kept the rows silver kept from the same files.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from healthcare_dataops.benchmark.scale_run import asset_parents
from healthcare_dataops_tests import background
from healthcare_dataops_tests.conftest import REPO_ROOT

ENGINES = {"duckdb", "sail", "local[*]"}


def _benchmark(tmp: Path, *arguments: str) -> background.Command:
    env = {name: value for name, value in os.environ.items() if not name.startswith("HEALTHCARE_DATAOPS_")}
    return background.Command(
        [str(Path(sys.executable).with_name("healthcare-dataops")), "benchmark", "--scales", "tiny",
         "--results", str(tmp / "results"), "--workdir", str(tmp / "work"), *arguments],
        REPO_ROOT, env, timeout=1200,
    )


def tiny_benchmark_command(tmp: Path) -> background.Command:
    return _benchmark(tmp)


def backfill_benchmark_command(tmp: Path) -> background.Command:
    return _benchmark(tmp, "--backfill-days", "1,2")


# Both run in the background from the start of the test run (background.py).
BACKGROUND_COMMANDS = (tiny_benchmark_command, backfill_benchmark_command)


def _results(done: background.Finished) -> tuple[str, dict]:
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    [markdown] = (done.workdir / "results").glob("*.md")
    [results] = (done.workdir / "results").glob("*.json")
    assert markdown.read_text(encoding="utf-8") in done.stdout
    return markdown.read_text(encoding="utf-8"), json.loads(results.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def tiny_benchmark(request) -> tuple[str, dict, Path]:
    done = background.finished(request, tiny_benchmark_command)
    return (*_results(done), done.workdir / "work")


@pytest.mark.slow
def test_every_asset_of_the_graph_is_timed_with_its_rows(tiny_benchmark):
    _, results, _ = tiny_benchmark
    [scale] = results["scales"]
    steps = {s["step"]: s for s in scale["cold_stats"]["steps"]}
    timed_assets = {asset for s in steps.values() for asset in s["assets"]}
    assert timed_assets == set(asset_parents()), "an asset of the graph was not materialized in the cold run"
    assert scale["cold_stats"]["status"] == "SUCCESS"
    for step in steps.values():
        assert step["seconds"] > 0, step
    for name in ("ehr_bronze", "lab_bronze", "wearable_bronze", "wearable_readings_silver"):
        step = steps[name]
        assert step["rows_in"] > 0
        # Conservation as the metadata reports it: nothing is lost between in and out.
        assert step["rows_in"] >= step["rows_out"] + step["rows_quarantined"], step
    assert steps["wearable_vitals"]["rows_in"] == steps["wearable_readings_silver"]["rows_out"]
    assert scale["cold"]["peak_memory_bytes"] > 200 * 2**20


@pytest.mark.slow
def test_the_engines_compute_the_same_rows_from_the_same_files(tiny_benchmark):
    _, results, _ = tiny_benchmark
    [scale] = results["scales"]
    engines = scale["engines"]
    assert set(engines) == ENGINES
    for step in ("wearable_vitals", "patient_features"):
        rows = {engine: engines[engine]["steps"][step]["rows_out"] for engine in ENGINES}
        assert len(set(rows.values())) == 1 and min(rows.values()) > 0, (step, rows)
        assert all(engines[e]["steps"][step]["seconds"] > 0 for e in ENGINES)
    exported = scale["generated"]["step_inputs"]
    assert engines["duckdb"]["steps"]["wearable_vitals"]["rows_in"] == exported["wearable_readings"]
    assert engines["local[*]"]["startup_seconds"] > 0
    assert all(engines[e]["peak_memory_bytes"] > 0 for e in ENGINES)


@pytest.mark.slow
def test_the_end_to_end_baseline_keeps_the_rows_silver_keeps_from_the_same_files(tiny_benchmark):
    markdown, results, _ = tiny_benchmark
    [scale] = results["scales"]
    steps = {s["step"]: s for s in scale["cold_stats"]["steps"]}
    parts = scale["end_to_end"]["parts"]
    assert all(parts[p]["seconds"] > 0 and parts[p]["peak_memory_bytes"] > 0 for p in parts)
    # Clean feeds: silver quarantines nothing but free-text observations, which the baseline keeps.
    assert parts["wearable_readings"]["rows_out"] == steps["wearable_readings_silver"]["rows_out"] > 0
    assert parts["wearable_vitals"]["rows_out"] == steps["wearable_vitals"]["rows_out"] > 0
    for table, rows in parts["ehr"]["tables"].items():
        silver = steps[f"{table}_silver"]
        assert rows == silver["rows_out"] + silver["rows_quarantined"] > 0, table
    # The cold run covered 3 of the 4 days delivered, and so did the baseline.
    assert scale["end_to_end"]["days"] == 3 and scale["end_to_end"]["inputs"]["ehr"]["files"] == 15
    assert "### The pipeline beside a single-process baseline, end to end" in markdown
    assert "Wearable path counted: `wearable_bronze`" in markdown


@pytest.mark.slow
def test_backfills_of_two_lengths_run_in_fresh_lakehouses_and_compare_their_peaks(request):
    markdown, results = _results(background.finished(request, backfill_benchmark_command))
    [backfill] = results["backfills"]
    assert results["scales"] == [] and [run["days"] for run in backfill["runs"]] == [1, 2]
    for run in backfill["runs"]:
        assert run["cold"]["failure"] is None and run["cold"]["peak_memory_bytes"] > 200 * 2**20
        assert run["stats"]["status"] == "SUCCESS"
    assert backfill["runs"][0]["stats"]["run_id"] != backfill["runs"][1]["stats"]["run_id"]
    assert "## Backfill length: tiny, 60 patients × 1 and 2 days" in markdown
    # Judged at small only: at tiny the target stays unmeasured.
    assert [t["met"] for t in results["targets"] if t["name"].startswith("90-day backfill")] == [None]


@pytest.mark.slow
def test_one_more_day_runs_the_daily_pipeline_and_the_sensor_tick_is_timed(tiny_benchmark):
    markdown, results, workdir = tiny_benchmark
    [scale] = results["scales"]
    incremental = scale["incremental_stats"]
    assert incremental["status"] == "SUCCESS" and incremental["run_id"] != scale["cold_stats"]["run_id"]
    assert {"wearable_vitals", "patient_features"} <= {s["step"] for s in incremental["steps"]}
    assert "risk_model" not in {s["step"] for s in incremental["steps"]}
    assert scale["incremental"]["seconds"] > 0
    assert "feature_drift_report" in scale["sensor_tick"]["outcome"]
    assert len(scale["sensor_tick"]["runs"]) >= 5
    assert not (workdir / "tiny").exists(), "the work folder was kept without --keep"
    for heading in ("The full graph, cold", "Where the time goes", "beside a single-process baseline, end to end",
                    "The two heaviest steps beside a single-process baseline", "One more day",
                    "Targets (2 cores, 24 GiB)"):
        assert heading in markdown
    assert "drift sensor tick" in {t["name"] for t in results["targets"]}
    assert results["machine"]["cores"] >= 1 and results["machine"]["packages"]["pysail"]


@pytest.mark.slow
def test_render_prints_a_saved_result_again(tiny_benchmark, tmp_path):
    markdown, results, _ = tiny_benchmark
    saved = tmp_path / "saved.json"
    saved.write_text(json.dumps(results), encoding="utf-8")
    done = subprocess.run(
        [str(Path(sys.executable).with_name("healthcare-dataops")), "benchmark", "--render", str(saved)],
        capture_output=True, text=True, timeout=300, check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert (tmp_path / "saved.md").read_text(encoding="utf-8") == markdown

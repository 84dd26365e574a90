"""The FHIR path entry's results: saved, read back and rendered (the run itself: --fhir-path)."""

from healthcare_dataops.benchmark.fhir_path import FORMATS, SILVER, FhirPathResult, fhir_path_lines
from healthcare_dataops.benchmark.report import render
from healthcare_dataops.benchmark.run_stats import RunStats, StepStats
from healthcare_dataops.benchmark.scales import SCALES

MACHINE = {"date": "2026-12-07", "cores": 2, "memory_gib": 23.5, "cpu": "x", "os": "linux", "python": "3.11",
           "java": "17", "packages": {"dagster": "1.13.27"}}


def _stats(bronze: str, seconds: float) -> RunStats:
    steps = [StepStats(bronze, seconds=seconds, assets=["b"], rows_in=1000, rows_out=990, rows_quarantined=10),
             StepStats("patients_silver", seconds=2.0, assets=["patients"], rows_in=50, rows_out=50),
             StepStats("patients_checks", seconds=1.0, checks=3)]
    return RunStats("run", "SUCCESS", 0.0, 10.0, steps)


def test_results_round_trip_and_render_both_exports_step_by_step():
    result = FhirPathResult(
        SCALES["tiny"], {k: {"files": 5, "bytes": 2**20, "rows": {}, "seconds": 1.0} for k in FORMATS},
        {k: {"seconds": 12.5, "failure": None} for k in FORMATS},
        {"csv": _stats("ehr_bronze", 3.0), "fhir": _stats("fhir_bronze", 8.0)})
    again = FhirPathResult.from_json(result.to_json())
    lines = fhir_path_lines(again)
    assert "| fhir | fhir_bronze | 1000 | 990 | 10 | 8.0 | 125 |" in lines
    assert "| csv | ehr_bronze | 1000 | 990 | 10 | 3.0 | 333 |" in lines
    assert "| fhir | 5 | 1.0 | 12.5 | 1.0 |  |" in lines
    assert not any("patients_checks" in line for line in lines)
    markdown, _ = render([], MACHINE, fhir_paths=[again])
    assert "## The EHR's export as FHIR beside CSV: tiny" in markdown
    assert "patients_quarantine" in SILVER

"""The EHR's export as FHIR beside the same export as CSV (``--fhir-path``).

For a scale, the same hospital's EHR export is generated twice, as Synthea CSV and as FHIR R4
(Bulk Data NDJSON, a bundle a day), and the EHR path is run cold on each in a lakehouse of its
own through the Dagster CLI: its bronze step and the five EHR silver steps, with their checks.
Per step: rows, seconds and rows per second, so what FHIR costs (every resource validated
against the R4 models on the engine's Python workers, JSON read with ``from_json``) stands
beside what the CSV costs for the same records.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path

from healthcare_dataops.benchmark import dagster_cli
from healthcare_dataops.benchmark.run_stats import RunStats, StepStats, attach_peak_memory, latest_run_stats
from healthcare_dataops.benchmark.scale_run import START, asset_parents, generated_feeds, pipeline_env
from healthcare_dataops.benchmark.scales import Scale
from healthcare_dataops.generate.runner import Options, generate
from healthcare_dataops.landing_layout import EHR, EHR_TABLES

FORMATS = ("csv", "fhir")
BRONZE = {"csv": ["ehr_bronze_quarantine", *(f"ehr_{t}" for t in EHR_TABLES)],
          "fhir": ["fhir_resources", "fhir_bronze_quarantine"]}
SILVER = [name for table in EHR_TABLES for name in (table, f"{table}_quarantine")]


@dataclass
class FhirPathResult:
    scale: Scale
    generated: dict[str, dict]
    runs: dict[str, dict]
    stats: dict[str, RunStats]
    workdir: Path | None = None

    def to_json(self) -> dict:
        return json.loads(json.dumps({"scale": dataclasses.asdict(self.scale), "generated": self.generated,
                                      "runs": self.runs, "stats": {k: dataclasses.asdict(v)
                                                                   for k, v in self.stats.items()}}, default=str))

    @classmethod
    def from_json(cls, saved: dict) -> FhirPathResult:
        return cls(Scale(**saved["scale"]), saved["generated"], saved["runs"],
                   {k: RunStats.from_json(v) for k, v in saved["stats"].items()})


def run_fhir_path(scale: Scale, workdir: Path, log=print) -> FhirPathResult:
    last = START + dt.timedelta(days=scale.days - 1)
    result = FhirPathResult(scale, {}, {}, {}, workdir)
    for kind in FORMATS:
        folder = workdir / kind
        log(f"[{scale.name}] the EHR's export as {kind}: {scale.patients:,} patients × {scale.days} days")
        summary = generate(Options(landing=folder / "landing", side=folder / "generator", patients=scale.patients,
                                   days=scale.days, start_date=START, epoch=START, sources=(EHR,), ehr_format=kind))
        result.generated[kind] = generated_feeds(summary, folder / "landing")
        selection = ",".join(BRONZE[kind] + SILVER)
        run = dagster_cli.run_cli(
            ("asset", "materialize", "-m", dagster_cli.DEFINITIONS_MODULE, "--select", selection,
             "--partition-range", f"{START.isoformat()}...{last.isoformat()}"),
            pipeline_env(folder), folder / "run.log")
        stats = latest_run_stats(folder / "dagster_home", asset_parents())
        attach_peak_memory(stats, run.memory_samples)
        result.runs[kind], result.stats[kind] = run.summary(), stats
        if run.failure:
            log(f"[{scale.name}] the {kind} run {run.failure} (log {run.log})")
    return result


def _row(kind: str, step: StepStats) -> str:
    rate = step.rows_per_second
    return (f"| {kind} | {step.step} | {step.rows_in or ''} | {step.rows_out or ''} | {step.rows_quarantined} "
            f"| {step.seconds:.1f} | {f'{rate:,.0f}' if rate else ''} |")


def fhir_path_lines(result: FhirPathResult) -> list[str]:
    scale = result.scale
    lines = [f"## The EHR's export as FHIR beside CSV: {scale.describe()}", "",
             "The same hospital's EHR export generated as Synthea CSV and as FHIR R4, the EHR path (its bronze "
             "step, the five EHR silver steps and their checks) run cold on each in a lakehouse of its own.", "",
             "| export | files | MiB | run seconds | checks seconds | failure |", "|---|---:|---:|---:|---:|---|"]
    for kind in FORMATS:
        generated, run, stats = result.generated[kind], result.runs[kind], result.stats[kind]
        checks = sum(s.seconds for s in stats.steps if s.is_check)
        lines.append(f"| {kind} | {generated['files']:,} | {generated['bytes'] / 2**20:,.1f} | {run['seconds']:.1f} "
                     f"| {checks:.1f} | {run['failure'] or ''} |")
    lines += ["", "| export | step | rows in | rows out | quarantined | seconds | rows/s |",
              "|---|---|---:|---:|---:|---:|---:|"]
    for kind in FORMATS:
        lines += [_row(kind, step) for step in result.stats[kind].steps if not step.is_check]
    return [*lines, ""]

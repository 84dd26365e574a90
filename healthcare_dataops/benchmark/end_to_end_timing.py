"""The DuckDB end-to-end baseline timed part by part, in a process of its own.

``python -m healthcare_dataops.benchmark.end_to_end_timing --landing DIR --first-day D
--last-day D --out DIR`` prints one JSON object: per part (wearable readings, wearable
vitals, EHR) the seconds (median of three where a run is under a minute, as for the
engines), the rows written and the process's peak memory while the part ran. The parts run
in the pipeline's order, each reading what the one before it wrote.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path

from healthcare_dataops.benchmark import duckdb_end_to_end as baseline
from healthcare_dataops.benchmark.engine_timing import rows_in, timed
from healthcare_dataops.benchmark.process_memory import PeakMemory
from healthcare_dataops.landing_layout import EHR_TABLES

# In the pipeline's order; ``figures.PATHS`` says which pipeline steps each stands beside.
PARTS = ("wearable_readings", "wearable_vitals", "ehr")


def parts(landing: Path, days: list[dt.date], out: Path) -> dict[str, tuple[Path, Callable[[Path], None]]]:
    """Each part's output and the step that writes it."""
    spill = out / "spill"
    readings = out / "wearable_readings.parquet"
    return {
        "wearable_readings": (readings, lambda o: baseline.run_wearable_readings(landing, days, str(o), spill)),
        "wearable_vitals": (out / "wearable_vitals.parquet",
                            lambda o: baseline.run_wearable_vitals(str(readings), str(o), spill)),
        "ehr": (out / "ehr", lambda o: baseline.run_ehr(landing, days, o, spill)),
    }


def run(landing: Path, days: list[dt.date], out: Path) -> dict:
    out.mkdir(parents=True, exist_ok=True)
    results = {"days": len(days), "inputs": _inputs(landing, days), "parts": {}}
    for name, (path, step) in parts(landing, days, out).items():
        with PeakMemory(os.getpid()) as memory:
            results["parts"][name] = timed(step, path)
        results["parts"][name]["peak_memory_bytes"] = memory.peak_bytes
    ehr_out = out / "ehr"
    results["parts"]["ehr"]["tables"] = {p.stem: rows_in(p) for p in sorted(ehr_out.glob("*.parquet"))}
    return results


def _inputs(landing: Path, days: list[dt.date]) -> dict[str, dict[str, int]]:
    """Files and bytes each path reads."""
    wearables = [*baseline.wearable_files(landing, days), *baseline.enrollment_files(landing, days)]
    ehr = [f for table in EHR_TABLES for f in baseline.ehr_files(landing, table, days)]
    return {name: {"files": len(files), "bytes": sum(Path(f).stat().st_size for f in files)}
            for name, files in (("wearables", wearables), ("ehr", ehr))}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m healthcare_dataops.benchmark.end_to_end_timing")
    parser.add_argument("--landing", type=Path, required=True)
    parser.add_argument("--first-day", type=dt.date.fromisoformat, required=True)
    parser.add_argument("--last-day", type=dt.date.fromisoformat, required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    days = [args.first_day + dt.timedelta(days=n) for n in range((args.last_day - args.first_day).days + 1)]
    try:
        print(json.dumps(run(args.landing, days, args.out)))
    finally:
        shutil.rmtree(args.out, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""The two heaviest steps on one engine, Parquet in and out, timed: a process per engine.

``python -m healthcare_dataops.benchmark.engine_timing --engine E --inputs DIR --out DIR``
prints one JSON object. E is ``duckdb`` (the single-process baseline), ``sail`` (the embedded
engine) or a JVM Spark master such as ``local[*]`` (pyspark's own Connect server). Every
engine reads the same Parquet files, exported once from the pipeline's silver tables, and
Spark engines run the project's own transforms, so only the engine differs.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import pyarrow.parquet as pq

from healthcare_dataops.transforms.features import SILVER_INPUTS

VITALS_INPUT = "wearable_readings"
STEPS = ("wearable_vitals", "patient_features")
# A step shorter than this is run again, and its median reported.
REPEAT_BELOW_SECONDS = 60.0
REPEATS = 3


def parquet_files(inputs: Path, table: str) -> list[str]:
    return sorted(str(p) for p in (inputs / table).rglob("*.parquet"))


def rows_in(path: Path) -> int:
    files = [path] if path.is_file() else sorted(path.rglob("*.parquet"))
    return sum(pq.ParquetFile(f).metadata.num_rows for f in files)


def timed(step: Callable[[Path], None], out: Path) -> dict[str, object]:
    """Seconds of each repeat (the first always counts), and the rows the step wrote."""
    seconds: list[float] = []
    while True:
        _remove(out)
        out.parent.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        step(out)
        seconds.append(time.perf_counter() - started)
        if seconds[0] >= REPEAT_BELOW_SECONDS or len(seconds) == REPEATS:
            break
    return {"seconds": statistics.median(seconds), "runs": seconds, "rows_out": rows_in(out)}


def duckdb_steps(inputs: Path) -> tuple[float, dict[str, Callable[[Path], None]]]:
    import duckdb

    from healthcare_dataops import settings
    from healthcare_dataops.benchmark import duckdb_baseline
    from healthcare_dataops.privacy import keys

    # The same key and first delivery day as the Spark engines take (spark_steps).
    key = keys.key_bytes(os.environ.get(keys.PSEUDONYM_KEY_ENV) or keys.DEVELOPMENT_KEY)
    [(first_day,)] = duckdb.execute(
        "SELECT min(delivery_date) FROM read_parquet($files)", {"files": parquet_files(inputs, "encounters")}
    ).fetchall()
    feeds_began_at = settings.end_of_delivery_day(first_day - dt.timedelta(days=1))
    return 0.0, {
        "wearable_vitals": lambda out: duckdb_baseline.run_hourly_vitals(
            parquet_files(inputs, VITALS_INPUT), str(out)),
        "patient_features": lambda out: duckdb_baseline.run_patient_features(
            {name: parquet_files(inputs, name) for name in SILVER_INPUTS}, str(out),
            key=key, feeds_began_at=feeds_began_at),
    }


def spark_steps(remote: str, inputs: Path) -> tuple[float, dict[str, Callable[[Path], None]]]:
    from pyspark.sql import functions as F

    from healthcare_dataops import settings
    from healthcare_dataops.lakehouse import spark_engine
    from healthcare_dataops.privacy import keys
    from healthcare_dataops.transforms import features, wearables

    started = time.perf_counter()
    session = spark_engine.connect(remote)
    startup = time.perf_counter() - started
    read = lambda name: session.read.parquet(str(inputs / name))  # noqa: E731
    # As the patient_features asset calls it: the key the silver tables were pseudonymized
    # with (the run's environment), and feed days counted from the first delivery day.
    key = keys.key_bytes(os.environ.get(keys.PSEUDONYM_KEY_ENV) or keys.DEVELOPMENT_KEY)
    first_day = read("encounters").agg(F.min("delivery_date").alias("first")).collect()[0]["first"]
    feeds_began_at = settings.end_of_delivery_day(first_day - dt.timedelta(days=1))
    return startup, {
        "wearable_vitals": lambda out: wearables.hourly_vitals(read(VITALS_INPUT)).write.parquet(str(out)),
        "patient_features": lambda out: features.patient_features(
            *(read(name) for name in SILVER_INPUTS), key=key, feeds_began_at=feeds_began_at).write.parquet(str(out)),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m healthcare_dataops.benchmark.engine_timing")
    parser.add_argument("--engine", required=True, help="duckdb, sail, or a JVM Spark master like local[*]")
    parser.add_argument("--inputs", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    startup, steps = duckdb_steps(args.inputs) if args.engine == "duckdb" else spark_steps(args.engine, args.inputs)
    results = {"engine": args.engine, "startup_seconds": startup, "steps": {}}
    for name in STEPS:
        results["steps"][name] = {"rows_in": _step_rows_in(args.inputs, name), **timed(steps[name], args.out / name)}
    print(json.dumps(results))
    return 0


def _remove(path: Path) -> None:
    # DuckDB writes the output as one file, Spark as a folder of parts.
    if path.is_dir():
        shutil.rmtree(path)
    else:
        path.unlink(missing_ok=True)


def _step_rows_in(inputs: Path, step: str) -> int:
    tables = (VITALS_INPUT,) if step == "wearable_vitals" else SILVER_INPUTS
    return sum(rows_in(inputs / table) for table in tables)


if __name__ == "__main__":
    raise SystemExit(main())

"""What the engine-parity tests share: bronze inputs, the transforms as an engine runs them,
and the one comparison of two engines' results.

``test_engine_parity`` feeds Sail and JVM Spark ``local[2]`` the same in-memory bronze rows;
``lakehouse/test_spark_cluster`` feeds Sail and a standalone Spark cluster the same bronze
Parquet files. Both compare with ``assert_same_rows``: column names and types, and every row,
values bit for bit (floats by their bits, timestamps by their instant), except the float sums
named in VITALS_SUMMED and FEATURES_SUMMED.
"""

from __future__ import annotations

import collections
import concurrent.futures
import datetime as dt
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pytest
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from healthcare_dataops import reference
from healthcare_dataops.cli import main as cli_main
from healthcare_dataops.defs.bronze.ehr import EHR_BRONZE_TABLES
from healthcare_dataops.defs.bronze.labs import LAB_RESULTS_RAW
from healthcare_dataops.defs.bronze.wearables import (
    WEARABLE_ENROLLMENTS_RAW,
    WEARABLE_READINGS_RAW,
)
from healthcare_dataops.lakehouse.bronze_writer import BronzeTable
from healthcare_dataops.lakehouse.silver_writer import REASON, SilverTable, outcomes
from healthcare_dataops.privacy.keys import DEVELOPMENT_KEY, key_bytes
from healthcare_dataops.transforms import ehr, features, labs, wearables
from healthcare_dataops_tests.dagster_helpers import (
    BRONZE_ASSETS,
    materialize_days,
    read_table,
)

KEY = key_bytes(DEVELOPMENT_KEY)
UTC = dt.UTC

# ---------------------------------------------------------------------------------------------
# Bronze inputs
# ---------------------------------------------------------------------------------------------

BRONZE_TABLES: dict[str, BronzeTable] = {
    **EHR_BRONZE_TABLES,
    "labs": LAB_RESULTS_RAW,
    "readings": WEARABLE_READINGS_RAW,
    "enrollments": WEARABLE_ENROLLMENTS_RAW,
}


def read_bronze(lakehouse: Path) -> dict[str, pa.Table]:
    return {name: read_table(lakehouse, "bronze", table.name) for name, table in BRONZE_TABLES.items()}


def generated_bronze(root: Path) -> dict[str, pa.Table]:
    """The generator's feeds (60 patients, 3 days, every fault kind) through the real bronze
    assets (delta-rs, no Spark), read back with delta-rs."""
    landing, lakehouse = root / "landing", root / "lakehouse"
    cli_main([
        "generate", "--landing", str(landing), "--side", str(root / "side"),
        "--patients", "60", "--days", "3", "--faults", "all", "--quiet",
        # A heart rate every 30 minutes rather than 5: still several readings an hour (resting
        # rate, means over inexact sums), at a sixth of the rows and of the time.
        "--heart-rate-every-minutes", "30",
    ])
    result = materialize_days(BRONZE_ASSETS, "2026-01-01", "2026-01-03", landing=landing, lakehouse=lakehouse)
    assert result.success
    return read_bronze(lakehouse)


@dataclass(frozen=True)
class Bronze:
    """Where one engine's transforms get the bronze tables from, by name."""

    session: SparkSession
    read: Callable[[str], DataFrame]


def in_memory(session: SparkSession, tables: dict[str, pa.Table]) -> Bronze:
    """The same Arrow tables on every engine (``createDataFrame``): no files to read."""
    return Bronze(session, lambda name: session.createDataFrame(tables[name]))


def from_parquet(session: SparkSession, folder: Path) -> Bronze:
    """Parquet files under ``folder``/<name>, read by the engine itself (on a cluster, by its
    executors)."""
    return Bronze(session, lambda name: session.read.parquet(str(folder / name)))


# ---------------------------------------------------------------------------------------------
# The transforms, as each engine runs them
# ---------------------------------------------------------------------------------------------

Build = Callable[[Bronze], DataFrame]


def enrollments(bronze: Bronze) -> DataFrame:
    return wearables.conform_enrollments(bronze.read("enrollments"), KEY)


def silver_enrollments(bronze: Bronze) -> DataFrame:
    """What ``device_enrollments`` holds: conformed, not quarantined, newest per device."""
    return silver_rows(bronze, "device_enrollments")


def readings(bronze: Bronze) -> DataFrame:
    return wearables.conform_readings(
        bronze.read("readings"),
        silver_enrollments(bronze),
        reference.wearable_measures(bronze.session),
        KEY,
    )


def _ehr(name: str, conform) -> Build:
    return lambda bronze: conform(bronze.read(name), KEY)


def _lab_results(bronze: Bronze) -> DataFrame:
    return labs.conform_lab_results(
        bronze.read("labs"),
        reference.lab_analytes(bronze.session),
        reference.lab_unit_conversions(bronze.session),
        KEY,
    )


# The bronze table each silver table is conformed from.
BRONZE_OF = {
    **{name: name for name in EHR_BRONZE_TABLES},
    "lab_results": "labs", "device_enrollments": "enrollments", "wearable_readings": "readings",
}

CONFORMED: dict[str, tuple[SilverTable, Build]] = {
    "patients": (ehr.PATIENTS, _ehr("patients", ehr.conform_patients)),
    "encounters": (ehr.ENCOUNTERS, _ehr("encounters", ehr.conform_encounters)),
    "conditions": (ehr.CONDITIONS, _ehr("conditions", ehr.conform_conditions)),
    "medications": (ehr.MEDICATIONS, _ehr("medications", ehr.conform_medications)),
    "observations": (ehr.OBSERVATIONS, _ehr("observations", ehr.conform_observations)),
    "lab_results": (labs.LAB_RESULTS, _lab_results),
    "device_enrollments": (wearables.DEVICE_ENROLLMENTS, enrollments),
    "wearable_readings": (wearables.WEARABLE_READINGS, readings),
}


def hourly_vitals(bronze: Bronze) -> DataFrame:
    return wearables.hourly_vitals(readings(bronze).where(F.col(REASON).isNull()))


def silver_rows(bronze: Bronze, name: str) -> DataFrame:
    """What the silver table holds: conformed, not quarantined, the newest version of each key.
    Gold's windows over a patient's stays assume one row per stay: the generated feeds deliver
    a stay again once it closes, and two versions tied on their order would make the result
    depend on how an engine partitions them."""
    table, build = CONFORMED[name]
    return outcomes(build(bronze), table).where(F.col("_outcome") == "written").select(*table.columns)


def feature_inputs(bronze: Bronze) -> tuple[DataFrame, ...]:
    """Silver as the gold features read it."""
    silver = [silver_rows(bronze, name) for name in ("encounters", "patients", "conditions", "lab_results")]
    return (*silver, hourly_vitals(bronze))


# Where real time starts for feed_day: any fixed moment, the same on both engines.
FEEDS_BEGAN_AT = dt.datetime(2026, 1, 1, 5, tzinfo=dt.UTC)


def patient_features(bronze: Bronze) -> DataFrame:
    return features.patient_features(*feature_inputs(bronze), key=KEY, feeds_began_at=FEEDS_BEGAN_AT)


# Sums and means of doubles, which alone may differ between the engines, in the last ulp or
# two, and only from the ORDER in which the values are added: avg and sum add each partition's
# values into a partial sum and then merge the partial sums. JVM Spark's local scan cuts the
# rows into spark.default.parallelism (2) partitions; Sail partitions them its own way; so an
# hour's values are added in a different order (the edge cases' hour 13 shows it: steps
# 0x1.58851eb851eb8p+8 on Sail, ...eb9p+8 on JVM Spark, and spo2_mean likewise). The same
# engine with another partitioning differs from itself the same way, so this is floating-point
# arithmetic, not an engine divergence. Those columns are heart_rate_mean and spo2_mean (avg),
# steps and sleep_minutes (sum), and resting_heart_rate (the minimum of heart_rate_mean over
# the day's hours); they are compared with math.isclose(rel_tol=1e-12). Every other column
# (keys, min, max, counts, last_delivery_date) is exact and compared bit for bit.
VITALS_SUMMED = ("heart_rate_mean", "spo2_mean", "steps", "sleep_minutes", "resting_heart_rate")

# Gold features built on the vitals inherit their summation order (see VITALS_SUMMED): the
# means over days and hours of resting rate, steps and sleep. Lab values, flags, counts and
# the label are exact.
FEATURES_SUMMED = ("resting_hr_3d", "resting_hr_delta", "steps_per_day_7d", "sleep_minutes_per_day_7d")

# ---------------------------------------------------------------------------------------------
# Comparing results
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Result:
    """One engine's result: Spark's column names and types, and the rows as Python values."""

    schema: list[tuple[str, str]]
    names: list[str]
    rows: list[dict]


def spark_schema(frame: DataFrame) -> list[tuple[str, str]]:
    return [(f.name, f.dataType.simpleString()) for f in frame.schema.fields]


def collect(frame: DataFrame) -> Result:
    # Through Arrow rather than collect(): collect() turns TIMESTAMP into naive local time of
    # this process (ambiguous in a DST fold); Arrow keeps the exact instant with its zone.
    table = frame.toArrow()
    return Result(spark_schema(frame), table.column_names, table.to_pylist())


def comparable(value: object) -> tuple:
    """A value as a tuple that compares equal only for identical values, and always sorts."""
    if value is None:
        return (0,)
    if isinstance(value, float):
        # Bits, not ==: -0.0 and 0.0 differ, NaN equals NaN, and the last ulp counts.
        return (1, "double", value.hex())
    if isinstance(value, dt.datetime):
        # Arrow hands TIMESTAMP back zone-aware (the session zone); TIMESTAMP_NTZ naive.
        if value.tzinfo is None:
            return (1, "timestamp_ntz", value)
        return (1, "timestamp", value.astimezone(UTC))
    if isinstance(value, dict):
        return (1, "struct", tuple((k, comparable(v)) for k, v in value.items()))
    if isinstance(value, list):
        return (1, "array", tuple(comparable(v) for v in value))
    return (1, type(value).__name__, value)


def assert_same_rows(results: dict[str, Result], *, approximate: tuple[str, ...] = ()) -> list[dict]:
    """Assert two engines' results are identical; returns the first engine's rows.

    ``approximate`` names columns compared with ``math.isclose(rel_tol=1e-12)`` instead of
    bit for bit; the caller must say why in a comment (float summation order only).
    """
    (first, a), (second, b) = results.items()
    assert a.schema == b.schema, f"columns or types differ:\n {first} {a.schema}\n {second} {b.schema}"
    assert a.names == b.names == [name for name, _ in a.schema]
    exact = [c for c in a.names if c not in approximate]
    assert len(exact) + len(approximate) == len(a.names), f"unknown approximate columns {approximate}"

    def ordered(rows: list[dict]) -> list[tuple[tuple, tuple]]:
        keyed = [
            (tuple(comparable(r[c]) for c in exact), tuple(comparable(r[c]) for c in approximate))
            for r in rows
        ]
        return sorted(keyed)

    rows_a, rows_b = ordered(a.rows), ordered(b.rows)
    exact_a = collections.Counter(e for e, _ in rows_a)
    exact_b = collections.Counter(e for e, _ in rows_b)
    if exact_a != exact_b:
        only_a = list((exact_a - exact_b).elements())[:5]
        only_b = list((exact_b - exact_a).elements())[:5]
        lines = [f"{len(rows_a)} rows on {first}, {len(rows_b)} on {second}; columns {exact}"]
        lines += [f" only on {first}: {_describe(exact, row)}" for row in only_a]
        lines += [f" only on {second}: {_describe(exact, row)}" for row in only_b]
        pytest.fail("\n".join(lines))
    for (key, values_a), (_, values_b) in zip(rows_a, rows_b, strict=True):
        for column, x, y in zip(approximate, values_a, values_b, strict=True):
            if x == y:
                continue
            close = x[0] == y[0] == 1 and math.isclose(float.fromhex(x[2]), float.fromhex(y[2]), rel_tol=1e-12)
            assert close, f"{column} differs beyond 1e-12: {first} {x}, {second} {y} in {_describe(exact, key)}"
    return a.rows


def assert_identical(
    build: Callable[[SparkSession], DataFrame],
    engines: dict[str, SparkSession],
    *,
    approximate: tuple[str, ...] = (),
) -> list[dict]:
    """Run ``build`` on both engines, collect, and ``assert_same_rows``; returns the rows."""
    # Both engines at once: each is its own Spark Connect server, and the JVM dominates.
    with concurrent.futures.ThreadPoolExecutor(max_workers=len(engines)) as pool:
        running = {name: pool.submit(lambda s: collect(build(s)), session) for name, session in engines.items()}
        results = {name: future.result() for name, future in running.items()}
    return assert_same_rows(results, approximate=approximate)


def _describe(columns: list[str], row: tuple) -> str:
    return ", ".join(f"{c}={v[2] if len(v) > 2 else None!r}" for c, v in zip(columns, row, strict=True))

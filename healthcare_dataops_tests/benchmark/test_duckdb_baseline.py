"""The DuckDB baseline computes what the Spark transforms compute, row for row.

A benchmark that sets Spark step times beside a single-process baseline is only honest if
both compute the same result. Generated feeds go through the real bronze assets and the
conform transforms (on the shared Sail session) into silver, written as plain Parquet files;
Spark's ``hourly_vitals`` and ``patient_features`` and the baseline then run on those same
files, and every row and value must agree (floats within a relative 1e-9: sums and means
add in another order).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from pyspark.sql import SparkSession
from pyspark.sql import functions as F

from healthcare_dataops.benchmark import duckdb_baseline
from healthcare_dataops.cli import main as cli_main
from healthcare_dataops.lakehouse.silver_writer import outcomes
from healthcare_dataops.transforms import features, wearables
from healthcare_dataops_tests.dagster_helpers import BRONZE_ASSETS, materialize_days
from healthcare_dataops_tests.transforms.parity import CONFORMED, from_parquet, read_bronze

SILVER = ("encounters", "patients", "conditions", "lab_results", "wearable_readings")
DAYS = 7


def _generated_bronze(root: Path) -> dict[str, pa.Table]:
    """A week of the generator's feeds for 150 patients through the real bronze assets: enough
    discharges with labs, readmissions and worn devices before them."""
    landing, lakehouse = root / "landing", root / "lakehouse"
    cli_main([
        "generate", "--landing", str(landing), "--side", str(root / "side"),
        "--patients", "150", "--days", str(DAYS), "--faults", "all", "--quiet",
        # Four heart rates an hour, enough for a resting rate (RESTING_HOUR_MIN_READINGS), at a
        # third of the default's rows.
        "--heart-rate-every-minutes", "15",
    ])
    result = materialize_days(BRONZE_ASSETS, "2026-01-01", f"2026-01-{DAYS:02d}", landing=landing, lakehouse=lakehouse)
    assert result.success
    return read_bronze(lakehouse)


def _write_files(table: pa.Table, folder: Path) -> list[str]:
    """The table as two Parquet files: the baseline reads a table as a list of files."""
    folder.mkdir(parents=True)
    half = table.num_rows // 2
    paths = [str(folder / f"part-{i}.parquet") for i in range(2)]
    pq.write_table(table.slice(0, half), paths[0])
    pq.write_table(table.slice(half), paths[1])
    return paths


@pytest.fixture(scope="module")
def silver(spark: SparkSession, tmp_path_factory) -> dict[str, list[str]]:
    """The Parquet files of each silver table: what the silver merge keeps (``written``)."""
    root = tmp_path_factory.mktemp("baseline")
    # Parquet files, not createDataFrame: a week of readings inlined in the plan is larger
    # than a Spark Connect message may be (128 MiB), once the plan names bronze twice.
    for name, rows in _generated_bronze(root).items():
        (root / "bronze" / name).mkdir(parents=True)
        pq.write_table(rows, root / "bronze" / name / "part-0.parquet")
    bronze = from_parquet(spark, root / "bronze")
    files = {}
    for name in SILVER:
        table, build = CONFORMED[name]
        written = outcomes(build(bronze), table).where(F.col("_outcome") == "written").select(*table.columns)
        files[name] = _write_files(written.toArrow(), root / "silver" / name)
    return files


@pytest.fixture(scope="module")
def vitals(spark: SparkSession, silver, tmp_path_factory) -> tuple[pa.Table, list[str]]:
    """Spark's hourly vitals, and their Parquet files: the wearable_vitals the features read."""
    rows = wearables.hourly_vitals(spark.read.parquet(*silver["wearable_readings"])).toArrow()
    return rows, _write_files(rows, tmp_path_factory.mktemp("vitals") / "wearable_vitals")


def _same(spark_value: object, baseline_value: object) -> bool:
    if isinstance(spark_value, float) and isinstance(baseline_value, float):
        return math.isclose(spark_value, baseline_value, rel_tol=1e-9)
    return type(spark_value) is type(baseline_value) and spark_value == baseline_value


def _assert_same_rows(spark_rows: pa.Table, baseline_rows: pa.Table, keys: Sequence[str]) -> list[dict]:
    """Same columns, same keys, and every value equal; returns Spark's rows."""
    assert baseline_rows.column_names == spark_rows.column_names
    expected, actual = ({tuple(r[k] for k in keys): r for r in t.to_pylist()} for t in (spark_rows, baseline_rows))
    assert len(expected) == spark_rows.num_rows and len(actual) == baseline_rows.num_rows, f"{keys} not unique"
    assert actual.keys() == expected.keys()
    for key, row in expected.items():
        differing = {c: (v, actual[key][c]) for c, v in row.items() if not _same(v, actual[key][c])}
        assert not differing, f"{key}: (spark, baseline) {differing}"
    return spark_rows.to_pylist()


def test_hourly_vitals_equal_spark(silver, vitals, tmp_path):
    spark_rows, _ = vitals
    out = tmp_path / "hourly_vitals.parquet"
    written = duckdb_baseline.run_hourly_vitals(silver["wearable_readings"], str(out))
    assert written == spark_rows.num_rows
    rows = _assert_same_rows(spark_rows, pq.read_table(out), keys=("patient_id", "hour_start"))
    assert sum(r["resting_heart_rate"] is not None for r in rows) > 10
    assert sum(r["steps"] is not None and r["spo2_min"] is not None for r in rows) > 10


def test_patient_features_equal_spark(spark, silver, vitals, tmp_path):
    inputs = {**{name: silver[name] for name in SILVER if name != "wearable_readings"}, "wearable_vitals": vitals[1]}
    frames = {name: spark.read.parquet(*files) for name, files in inputs.items()}
    spark_rows = features.patient_features(*(frames[name] for name in features.SILVER_INPUTS)).toArrow()
    out = tmp_path / "patient_features.parquet"
    written = duckdb_baseline.run_patient_features(inputs, str(out))
    assert written == spark_rows.num_rows
    rows = _assert_same_rows(spark_rows, pq.read_table(out), keys=("encounter_id",))
    # Every kind of feature is exercised, not only its nulls and zeros.
    assert sum(r[features.LABEL] == 1 for r in rows) >= 3
    assert sum(r["label_complete"] for r in rows) >= 3 and not all(r["label_complete"] for r in rows)
    assert sum(r["comorbidity_count"] > 0 for r in rows) >= 3
    assert sum(r["admissions_12m"] > 0 for r in rows) >= 3
    assert sum(any(r[f"{a}_trend"] is not None for a in features.KEY_LABS) for r in rows) >= 3
    assert sum(r["steps_per_day_7d"] is not None for r in rows) >= 3
    assert sum(r["resting_hr_delta"] is not None for r in rows) >= 1


# ---------------------------------------------------------------------------------------------
# Hand-built rows on the boundaries generated data rarely reaches
# ---------------------------------------------------------------------------------------------


def _at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC)


EDGE_SCHEMAS = {
    "wearable_readings": "patient_id string, measure string, value double, measured_at timestamp, "
    "measured_date date, delivery_date date",
    "encounters": "encounter_id string, patient_id string, encounter_class string, start_at timestamp, "
    "end_at timestamp, length_of_stay_hours double, delivery_date date",
    "patients": "patient_id string, sex string, age_band string, birth_year int",
    "conditions": "patient_id string, code string, onset_date date",
    "lab_results": "patient_id string, analyte string, value double, observed_at timestamp",
}
D = dt.date
EDGE_ROWS = {
    "wearable_readings": [
        # Three heart rates in the hour before 1970 (the last a microsecond before the next
        # hour), one without a value: the hour has too few for a resting rate...
        ("p", "heart_rate", 60.0, _at("1969-12-31 23:00:00.5"), D(1969, 12, 31), D(1970, 1, 1)),
        ("p", "heart_rate", 70.0, _at("1969-12-31 23:59:59.999999"), D(1969, 12, 31), D(1970, 1, 2)),
        ("p", "heart_rate", None, _at("1969-12-31 23:30:00"), D(1969, 12, 31), D(1970, 1, 1)),
        ("p", "steps", 12.5, _at("1969-12-31 23:10:00"), D(1969, 12, 31), D(1970, 1, 1)),
        ("p", None, 99.0, _at("1969-12-31 23:20:00"), D(1969, 12, 31), D(1970, 1, 1)),
        # ... the next hour has enough.
        *[("p", "heart_rate", v, _at(f"1970-01-01 00:{m}:00"), D(1970, 1, 1), D(1970, 1, 1))
          for v, m in ((55.0, 10), (57.0, 20), (59.0, 30))],
        ("p", "spo2", 97.0, _at("1970-01-01 00:40:00"), D(1970, 1, 1), D(1970, 1, 1)),
        ("p", "sleep", 30.0, _at("1970-01-01 00:50:00"), D(1970, 1, 1), D(1970, 1, 1)),
        (None, "heart_rate", 80.0, _at("1970-01-01 00:50:00"), D(1970, 1, 1), D(1970, 1, 1)),
    ],
    "encounters": [
        # An ED visit half a second before A's admission, in 1969: the same second by Spark's
        # unix_timestamp, which truncates toward zero, so not a prior visit.
        ("ED", "p", "emergency", _at("1969-12-31 23:59:59.5"), _at("1970-01-01 00:00:00"), 0.5, D(1970, 1, 1)),
        ("A", "p", "inpatient", _at("1970-01-01 00:00:00"), _at("1970-01-03 00:00:00"), 48.0, D(1970, 1, 3)),
        # 30 days and half a second after A's discharge: 30 days to the second, a readmission.
        ("B", "p", "inpatient", _at("1970-02-02 00:00:00.5"), _at("1970-02-04 00:00:00"), 48.0, D(1970, 2, 4)),
        ("Q", "q", "inpatient", _at("1970-03-01 00:00:00"), _at("1970-03-02 00:00:00"), 24.0, D(1970, 3, 30)),
        ("O", "q", "inpatient", _at("1970-03-29 00:00:00"), None, None, D(1970, 3, 30)),
    ],
    "patients": [("p", "F", "65-74", 1905), ("q", "M", "90+", None)],
    "conditions": [("p", "88805009", D(1970, 1, 3)), ("p", None, D(1970, 1, 1)), ("p", "44054006", D(1970, 1, 4))],
    "lab_results": [
        # Three creatinine results at one time: the ties go by value, a missing value last.
        *[("p", "creatinine", v, _at("1970-01-02 10:00:00")) for v in (1.0, None, 2.0)],
        ("p", "glucose", None, _at("1970-01-02 11:00:00")),
        ("p", "glucose", 5.5, _at("1970-01-02 09:00:00")),
        ("p", "sodium", 140.0, _at("1970-01-03 00:00:00")),  # at the discharge: not before it
    ],
}


def _edge_files(spark: SparkSession, folder: Path, names: Sequence[str]) -> dict[str, list[str]]:
    return {
        name: _write_files(spark.createDataFrame(EDGE_ROWS[name], EDGE_SCHEMAS[name]).toArrow(), folder / name)
        for name in names
    }


def test_boundaries_equal_spark(spark, tmp_path):
    """Through the relations rather than COPY: what tests and notebooks read."""
    files = _edge_files(spark, tmp_path, ["wearable_readings"])
    spark_vitals = wearables.hourly_vitals(spark.read.parquet(*files["wearable_readings"])).toArrow()
    vitals = _assert_same_rows(
        spark_vitals, duckdb_baseline.hourly_vitals(files["wearable_readings"]).to_arrow_table(),
        keys=("patient_id", "hour_start"),
    )
    vitals.sort(key=lambda r: r["hour_start"])
    assert [(r["heart_rate_readings"], r["resting_heart_rate"]) for r in vitals] == [(2, None), (3, 57.0)]
    files |= _edge_files(spark, tmp_path, ["encounters", "patients", "conditions", "lab_results"])
    files["wearable_vitals"] = _write_files(spark_vitals, tmp_path / "wearable_vitals")
    frames = {name: spark.read.parquet(*files[name]) for name in features.SILVER_INPUTS}
    rows = _assert_same_rows(
        features.patient_features(*frames.values()).toArrow(),
        duckdb_baseline.patient_features(*(files[name] for name in features.SILVER_INPUTS)).to_arrow_table(),
        keys=("encounter_id",),
    )
    by_id = {r["encounter_id"]: r for r in rows}
    assert (by_id["A"]["ed_visits_6m"], by_id["A"][features.LABEL], by_id["A"]["chf"]) == (0, 1, 1)
    assert (by_id["A"]["creatinine_last"], by_id["A"]["creatinine_trend"]) == (2.0, 1.0)

"""The DuckDB baseline computes what the Spark transforms compute, row for row.

A benchmark that sets Spark step times beside a single-process baseline is only honest if
both compute the same result. Generated feeds go through the real bronze assets and the
conform transforms (on the shared Sail session) into silver, written as plain Parquet files;
Spark's ``hourly_vitals`` and ``patient_features`` and the baseline then run on those same
files, with the same pseudonym key and start of the feeds, and every row and value must agree
(floats within a relative 1e-9: sums and means add in another order).
"""

from __future__ import annotations

import collections
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
from healthcare_dataops.privacy import shift_days_of
from healthcare_dataops.transforms import features, wearables
from healthcare_dataops.transforms.clinical_scores import HOSPITAL, LACE
from healthcare_dataops.transforms.readmission_cohort import (
    AGAINST_MEDICAL_ADVICE,
    COHORT_EXCLUSIONS,
    DIED_IN_HOSPITAL,
    TRANSFERRED_OUT,
)
from healthcare_dataops_tests.dagster_helpers import BRONZE_ASSETS, materialize_days
from healthcare_dataops_tests.transforms.parity import CONFORMED, FEEDS_BEGAN_AT, KEY, from_parquet, read_bronze

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
    spark_rows = features.patient_features(
        *(frames[name] for name in features.SILVER_INPUTS), key=KEY, feeds_began_at=FEEDS_BEGAN_AT).toArrow()
    out = tmp_path / "patient_features.parquet"
    written = duckdb_baseline.run_patient_features(inputs, str(out), key=KEY, feeds_began_at=FEEDS_BEGAN_AT)
    assert written == spark_rows.num_rows
    rows = _assert_same_rows(spark_rows, pq.read_table(out), keys=("encounter_id",))
    # Every kind of feature is exercised, not only its nulls and zeros.
    assert sum(r[features.LABEL] == 1 for r in rows) >= 3
    # A week of deliveries never reaches 30 days past a discharge's delivery, and the history
    # before the feeds is never final: no label is complete here (the hand-built rows have one).
    assert not any(r["label_complete"] for r in rows)
    assert sum(r["comorbidity_count"] > 0 for r in rows) >= 3
    assert sum(r["admissions_12m"] > 0 for r in rows) >= 3
    assert sum(any(r[f"{a}_trend"] is not None for a in features.KEY_LABS) for r in rows) >= 3
    assert sum(r["steps_per_day_7d"] is not None for r in rows) >= 3
    # resting_hr_delta is never set here (the hand-built rows set it): the generated wearables
    # cover only the delivered week, and no stay in it has hours both 4 to 10 days before its
    # admission and in the 3 days before its discharge.
    # The readmission measure: each exclusion, the label only for index admissions, the history
    # before the feeds beside discharges after them, and the clinical scores.
    exclusions = collections.Counter(r["cohort_exclusion"] for r in rows)
    assert all(exclusions[reason] >= 3 for reason in COHORT_EXCLUSIONS) and exclusions[None] >= 100
    assert all((r[features.LABEL] is None) == (r["cohort_exclusion"] is not None) for r in rows)
    assert sum(r["before_feeds"] for r in rows) >= 3 and sum(not r["before_feeds"] for r in rows) >= 3
    assert all(r["before_feeds"] == (r["feed_day"] < 0) for r in rows)
    assert sum(r["ed_visits_6m"] > 0 for r in rows) >= 3
    assert all(0 <= r[LACE] <= 19 and 0 <= r[HOSPITAL] <= 13 for r in rows)
    assert len({r[LACE] for r in rows}) >= 5 and len({r[HOSPITAL] for r in rows}) >= 5


# ---------------------------------------------------------------------------------------------
# Hand-built rows on the boundaries generated data rarely reaches
# ---------------------------------------------------------------------------------------------


def _at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC)


EDGE_SCHEMAS = {
    "wearable_readings": "patient_id string, measure string, value double, measured_at timestamp, "
    "measured_date date, delivery_date date",
    "encounters": "encounter_id string, patient_id string, encounter_class string, start_at timestamp, "
    "end_at timestamp, length_of_stay_hours double, delivery_date date, code string, reason_code string",
    "patients": "patient_id string, sex string, age_band string, birth_year int, deceased_date date",
    "conditions": "patient_id string, code string, onset_date date, encounter_id string",
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
        # t's usual resting rate, days 10 to 4 before T1's admission, and its rate in the
        # three days before T1's discharge.
        *[("t", "heart_rate", v, _at(f"2026-02-04 10:{m}:00"), D(2026, 2, 4), D(2026, 2, 5))
          for v, m in ((60.0, 10), (62.0, 20), (64.0, 30))],
        *[("t", "heart_rate", v, _at(f"2026-02-11 08:{m}:00"), D(2026, 2, 11), D(2026, 2, 12))
          for v, m in ((70.0, 10), (72.0, 20), (74.0, 30))],
    ],
    "encounters": [
        # An ED visit half a second before A's admission, in 1969: the same second by Spark's
        # unix_timestamp, which truncates toward zero, so not a prior visit.
        ("ED", "p", "emergency", _at("1969-12-31 23:59:59.5"), _at("1970-01-01 00:00:00"), 0.5, D(1970, 1, 1),
         None, None),
        ("A", "p", "inpatient", _at("1970-01-01 00:00:00"), _at("1970-01-03 00:00:00"), 48.0, D(1970, 1, 3),
         None, None),
        # 30 days and half a second after A's discharge: 30 days to the second, a readmission.
        ("B", "p", "inpatient", _at("1970-02-02 00:00:00.5"), _at("1970-02-04 00:00:00"), 48.0, D(1970, 2, 4),
         None, None),
        ("Q", "q", "inpatient", _at("1970-03-01 00:00:00"), _at("1970-03-02 00:00:00"), 24.0, D(1970, 3, 30),
         None, None),
        ("O", "q", "inpatient", _at("1970-03-29 00:00:00"), None, None, D(1970, 3, 30), None, None),
        # r's ED visits: one 12 days before R1 counts, one in the day before it led to it.
        ("RE1", "r", "emergency", _at("1970-12-20 10:00:00"), _at("1970-12-20 11:00:00"), 1.0, D(1970, 12, 20),
         None, None),
        ("RE0", "r", "emergency", _at("1970-12-31 20:00:00"), _at("1970-12-31 22:00:00"), 2.0, D(1970, 12, 31),
         None, None),
        # An elective admission for a coronary intervention, transferred 23 hours after its
        # discharge to R2 (a malignancy): one episode from R1's admission, not acute.
        ("R1", "r", "inpatient", _at("1971-01-01 08:00:00"), _at("1971-01-03 10:00:00"), 50.0, D(1971, 1, 3),
         "8715000", "415070008"),
        ("R2", "r", "inpatient", _at("1971-01-04 09:00:00"), _at("1971-01-09 10:00:00"), 121.0, D(1971, 1, 9),
         None, "363346000"),
        # R2's first readmission is planned (rehabilitation), so R2 has none although RU follows
        # within 30 days; RP ends against medical advice, RU in death.
        ("RP", "r", "inpatient", _at("1971-01-20 00:00:00"), _at("1971-01-21 00:00:00"), 24.0, D(1971, 1, 21),
         None, "52052004"),
        ("RU", "r", "inpatient", _at("1971-01-25 00:00:00"), _at("1971-02-10 00:00:00"), 384.0, D(1971, 2, 10),
         None, None),
        # Admitted half an hour into the day after the date of death: within the day's leeway.
        ("S", "s", "inpatient", _at("1971-03-02 00:30:00"), _at("1971-03-05 00:00:00"), 71.5, D(1971, 3, 5),
         None, None),
        # A blank patient id has no pseudonym, so no date shift and no feed day.
        ("N", " ", "inpatient", _at("1971-05-01 00:00:00"), _at("1971-05-02 00:00:00"), 24.0, D(1971, 5, 2),
         None, None),
        # After the feeds began: T1 delivered 76 days before the last delivery (TH), its label
        # complete; T2 9 days before it, not yet.
        ("T1", "t", "inpatient", _at("2026-02-10 00:00:00"), _at("2026-02-12 12:00:00"), 60.0, D(2026, 2, 13),
         None, None),
        ("T2", "t", "inpatient", _at("2026-04-20 00:00:00"), _at("2026-04-21 00:00:00"), 24.0, D(2026, 4, 21),
         None, None),
        ("TH", "t", "ambulatory", _at("2026-04-25 00:00:00"), _at("2026-04-25 01:00:00"), 1.0, D(2026, 4, 30),
         None, None),
    ],
    "patients": [
        ("p", "F", "65-74", 1905, None), ("q", "M", "90+", None, None), ("r", "M", "65-74", 1904, D(1971, 2, 10)),
        ("s", "F", "65-74", 1903, D(1971, 3, 1)), ("t", "F", "45-54", 1975, None),
    ],
    "conditions": [
        ("p", "88805009", D(1970, 1, 3), None), ("p", None, D(1970, 1, 1), None),
        ("p", "44054006", D(1970, 1, 4), None),
        # Diabetes with organ damage replaces diabetes in the Charlson index (2, not 3); the
        # malignancies arrive after R2's discharge.
        ("r", "44054006", D(1970, 12, 1), None), ("r", "127013003", D(1970, 12, 1), None),
        ("r", "363346000", D(1971, 1, 22), None), ("r", "128462008", D(1971, 1, 22), None),
        ("r", "225928004", D(1971, 1, 20), "RP"),
    ],
    "lab_results": [
        # Three creatinine results at one time: the ties go by value, a missing value last.
        *[("p", "creatinine", v, _at("1970-01-02 10:00:00")) for v in (1.0, None, 2.0)],
        ("p", "glucose", None, _at("1970-01-02 11:00:00")),
        ("p", "glucose", 5.5, _at("1970-01-02 09:00:00")),
        ("p", "sodium", 140.0, _at("1970-01-03 00:00:00")),  # at the discharge: not before it
        ("r", "hemoglobin", 11.0, _at("1971-01-08 00:00:00")),
        ("r", "sodium", 130.0, _at("1971-01-08 00:00:00")),
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
    assert [(r["heart_rate_readings"], r["resting_heart_rate"]) for r in vitals if r["patient_id"] == "p"] == [
        (2, None), (3, 57.0)]
    files |= _edge_files(spark, tmp_path, ["encounters", "patients", "conditions", "lab_results"])
    files["wearable_vitals"] = _write_files(spark_vitals, tmp_path / "wearable_vitals")
    frames = {name: spark.read.parquet(*files[name]) for name in features.SILVER_INPUTS}
    rows = _assert_same_rows(
        features.patient_features(*frames.values(), key=KEY, feeds_began_at=FEEDS_BEGAN_AT).toArrow(),
        duckdb_baseline.patient_features(
            *(files[name] for name in features.SILVER_INPUTS), key=KEY, feeds_began_at=FEEDS_BEGAN_AT).to_arrow_table(),
        keys=("encounter_id",),
    )
    by_id = {r["encounter_id"]: r for r in rows}
    assert (by_id["A"]["ed_visits_6m"], by_id["A"][features.LABEL], by_id["A"]["chf"]) == (0, 1, 1)
    assert (by_id["A"]["creatinine_last"], by_id["A"]["creatinine_trend"]) == (2.0, 1.0)
    # The episode, the exclusions and the label of the readmission measure.
    assert by_id["R2"]["admitted_at"] == _at("1971-01-01 08:00:00")
    assert {e: by_id[e]["cohort_exclusion"] for e in ("R1", "R2", "RP", "RU", "S", "Q")} == {
        "R1": TRANSFERRED_OUT, "R2": None, "RP": AGAINST_MEDICAL_ADVICE, "RU": DIED_IN_HOSPITAL,
        "S": DIED_IN_HOSPITAL, "Q": None}
    assert {e: by_id[e][features.LABEL] for e in ("R1", "R2", "RP", "Q", "T1")} == {
        "R1": None, "R2": 0, "RP": None, "Q": 1, "T1": 0}
    # LACE 5 + 0 + 2 + 1 (8 days, elective, Charlson 2, one ED visit); HOSPITAL 1 + 2 + 1 + 2
    # (hemoglobin, oncology, sodium, 5 days or more).
    assert (by_id["R2"]["ed_visits_6m"], by_id["R2"][LACE], by_id["R2"][HOSPITAL]) == (1, 8, 6)
    # RU: LACE 7 + 3 + 5 + 2 (16 days, acute, Charlson 8, both ED visits more than a day before
    # it); HOSPITAL 1 + 1 + 1 + 2 + 2 (hemoglobin, sodium, urgent, three admissions in 12 months,
    # 5 days or more).
    assert (by_id["RU"]["admissions_12m"], by_id["RU"][LACE], by_id["RU"][HOSPITAL]) == (3, 17, 7)
    # Real time: the shifted discharge moved forward by t's shift, from the feeds' start.
    shifted = by_id["T1"]["discharged_at"].timestamp() + shift_days_of("t", KEY) * 86_400
    assert by_id["T1"]["feed_day"] == (shifted - int(FEEDS_BEGAN_AT.timestamp())) / 86_400
    assert (by_id["N"]["feed_day"], by_id["N"]["before_feeds"], by_id["A"]["before_feeds"]) == (None, None, True)
    assert {e: by_id[e]["label_complete"] for e in ("T1", "T2", "A")} == {"T1": True, "T2": False, "A": False}
    assert by_id["T1"]["resting_hr_delta"] == 10.0

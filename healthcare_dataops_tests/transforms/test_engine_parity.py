"""Engine parity: every silver transform gives identical results on Sail and on JVM Spark 4.2.

The transforms run on the embedded Sail engine in production and must give the same rows on
a Spark 4 cluster, so each one runs here on both engines over the same bronze rows, with the
same key, and the collected results are compared: column names and types, and every row,
values bit for bit (floats by their bits, timestamps by their instant). The one exception is
five sums and means of doubles in the hourly vitals, which may differ in the last ulp from
the order of summation alone (see VITALS_SUMMED).

The bronze rows come from three places, each a module-scoped set built once:

* ``generated``: the generator's feeds (60 patients, 3 days, every fault kind) through the
  real bronze assets (delta-rs, no Spark), read back with delta-rs;
* ``samples``: the real files in ``shared/samples`` (Synthea v3.0.0 CSV, the HL7 v2 messages
  with their BOMs and odd segments, Open mHealth documents, an Apple Health export) through
  the same bronze parsers;
* ``edge-cases``: hand-written bronze rows with values on which the engines' regex, cast,
  JSON and time handling are known to differ (a trailing line break, non-ASCII digits and
  spaces, numbers outside Java's plain-decimal range, controls and quotes in text).

JVM Spark has no Delta JARs here, so neither engine reads Delta: both get the bronze rows as
the same in-memory Arrow table (``createDataFrame``). The generated set's builder, the
transforms as an engine runs them and the comparison are in ``parity.py``, shared with the
Spark cluster test (``lakehouse/test_spark_cluster.py``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import pyarrow as pa
import pytest
from pyspark.sql import SparkSession
from pyspark.sql import functions as F

from healthcare_dataops.lakehouse.silver_writer import outcomes
from healthcare_dataops.transforms import features
from healthcare_dataops_tests.dagster_helpers import (
    BRONZE_ASSETS,
    deliver,
    materialize_days,
)
from healthcare_dataops_tests.transforms.parity import (
    BRONZE_OF,
    BRONZE_TABLES,
    CONFORMED,
    FEATURES_SUMMED,
    UTC,
    VITALS_SUMMED,
    assert_identical,
    feature_inputs,
    hourly_vitals,
    in_memory,
    patient_features,
    read_bronze,
)

# ---------------------------------------------------------------------------------------------
# Engines
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def engines(spark, jvm_spark) -> dict[str, SparkSession]:
    return {"sail": spark, "jvm": jvm_spark}


# ---------------------------------------------------------------------------------------------
# Bronze inputs (the generated feeds' are shared with the cluster test: conftest's
# generated_parity_bronze, built by parity.generated_bronze)
# ---------------------------------------------------------------------------------------------

SAMPLE_DAY = "2026-01-05"


def _samples(samples_dir: Path, root: Path) -> dict[str, pa.Table]:
    landing, lakehouse = root / "landing", root / "lakehouse"
    deliver(sorted((samples_dir / "synthea_csv").glob("*.csv")), landing, "ehr", SAMPLE_DAY)
    deliver(sorted((samples_dir / "hl7v2").glob("*.hl7")), landing, "labs", SAMPLE_DAY)
    wearable_samples = samples_dir / "wearables"
    deliver(sorted((wearable_samples / "openmhealth").glob("*.json")), landing, "wearables", SAMPLE_DAY)
    deliver([wearable_samples / "apple_health" / "export6s3sample.xml"], landing, "wearables", SAMPLE_DAY)
    # The Apple Health export is named after its device; enrol it to a patient of the Synthea
    # sample so that its readings get a patient, a date shift and hourly vitals.
    (landing / "wearables" / SAMPLE_DAY / "device_enrollment.csv").write_text(
        "DEVICE_ID,PATIENT_MRN,DEVICE_MODEL,ENROLLED_AT\n"
        "export6s3sample,3edac2e3-d223-6fae-d515-daf96ef6bc76,Apple Watch,2015-01-01T09:00:00Z\n"
    )
    result = materialize_days(BRONZE_ASSETS, SAMPLE_DAY, SAMPLE_DAY, landing=landing, lakehouse=lakehouse)
    assert result.success
    return read_bronze(lakehouse)


# Values on which Java's and Rust's regex engines, the two engines' casts, their JSON writers
# and their time parsers are known to differ; before the fixes they are named after, each of
# them gave a different row on one engine or made Sail raise. Well-formed but impossible times
# (2026-02-30, hour 24) pass the timestamp regexes; they made to_timestamp raise on both engines
# under ANSI mode and stop the batch, and now give null on both (try_to_timestamp).
NL = "\n"  # Java's $ matches before a final line break; Rust's does not
ARABIC_12 = "\u0661\u0662"  # Rust's \d matches Arabic-Indic digits; Java's does not
NBSP = "\u00a0"  # Rust's \s matches Unicode spaces; Java's does not
ODD_TEXT = 'q"uo\\te/\t\u0001\u007f é 😀 \u2028'  # JSON escaping of controls, quotes, non-ASCII

EDGE_ROWS: dict[str, list[dict[str, object]]] = {
    "patients": [
        {"id": "p1", "birthdate": "1980-05-06", "gender": " m ", "race": "White", "ethnicity": "Nonhispanic",
         "state": "Massachusetts", "zip": "02155"},
        {"id": " p2\t", "birthdate": "1936-02-29", "gender": "F", "race": " BLACK ", "zip": "2155"},
        {"id": "p3", "birthdate": "1930-01-01", "gender": "x", "zip": "021 55", "deathdate": "2020-01-01"},
        {"id": "p4", "birthdate": "2030-01-01", "gender": ODD_TEXT, "zip": "12345-6789"},
        {"id": "p5", "birthdate": "1980-05-06" + NL, "gender": "M" + NL, "zip": "12345" + NL},
        {"id": "p6", "birthdate": "\u0661\u0669\u0668\u0660-05-06", "zip": "\u0661\u0662\u0663\u0664\u0665"},
        {"id": "p7", "birthdate": None, "zip": "036"},
        {"id": None, "birthdate": "2000-01-01"},
        {"id": "  ", "birthdate": "2000-01-01T23:59:59-05:00"},
        {"id": "ß-İ-ǅ", "birthdate": "2000-01-01 12:00", "gender": "ǆ", "race": "İSTANBUL", "ethnicity": "STRASSE ß"},
        # The same patient again on a later day: the newest delivery wins in outcomes().
        {"id": "p1", "birthdate": "1980-05-06", "gender": "M", "delivery_date": dt.date(2026, 1, 11)},
    ],
    "encounters": [
        {"id": "e1", "patient": "p1", "start": "2026-01-01T10:00:00Z", "stop": "2026-01-02T12:30:00Z",
         "encounterclass": " Inpatient ", "code": " 123 ", "reasoncode": " 44 "},
        {"id": "e2", "patient": "p1", "start": "2026-01-01T10:00:00+0100",
         "stop": "2026-01-01T10:00:00.123456789-05:00", "encounterclass": "emergency"},
        {"id": "e3", "patient": "p2", "start": "2026-01-01 10:00", "stop": "2026-01-01", "encounterclass": "wellness"},
        {"id": "e4", "patient": "p2", "start": "2026-01-01T10:00:00Z" + NL, "encounterclass": "ambulatory"},
        {"id": "e4b", "patient": "p2", "start": "2026-02-30T10:00:00Z", "stop": "2026-01-01T24:00:00Z",
         "encounterclass": "ambulatory"},
        {"id": "e5", "patient": "p3", "start": "2026-01-01T10:00:00Z", "stop": "2026-01-01T10:00:00Z" + NL,
         "encounterclass": "ambulatory"},
        {"id": "e6", "patient": "p3", "start": "\u0662\u0660\u0662\u0666-01-01T10:00:00Z", "encounterclass": "snf"},
        {"id": "e7", "patient": "p4", "start": "2026-01-02T10:00:00Z", "stop": "2026-01-01T10:00:00Z",
         "encounterclass": "bogus", "code": ODD_TEXT},
        {"id": "e8", "patient": None, "start": "1969-12-31T23:59:59.999999Z", "encounterclass": "virtual"},
        {"id": None, "patient": "p5", "start": "2026-01-01T10:00:00.5-05:00", "encounterclass": "HOME"},
    ],
    "conditions": [
        {"start": "2026-01-01", "stop": "2026-01-05", "patient": "p1", "encounter": "e1", "code": " 44054006 ",
         "system": None},
        {"start": "2026-01-01" + NL, "patient": "p1", "encounter": "e1", "code": "1", "system": " SNOMED "},
        {"start": "\u0662\u0660\u0662\u0666-01-01", "patient": "p2", "encounter": "e3", "code": "2"},
        {"start": "2026-01-01T23:30:00-05:00", "patient": "p2", "encounter": None, "code": None},
        {"start": None, "patient": None, "encounter": "e9", "code": "3"},
    ],
    "medications": [
        {"start": "2026-01-01T10:00:00Z", "stop": "2026-01-31T10:00:00Z", "patient": "p1", "encounter": "e1",
         "code": "860975", "dispenses": "12"},
        {"start": "2026-01-01T10:00:00Z", "patient": "p1", "encounter": "e1", "code": "2", "dispenses": "12" + NL},
        {"start": "2026-01-01T10:00:00Z", "patient": "p2", "encounter": "e3", "code": "3", "dispenses": ARABIC_12},
        {"start": "2026-01-01T10:00:00Z", "patient": "p2", "encounter": "e3", "code": "4", "dispenses": "99999999999"},
        {"start": "2026-01-01T10:00:00Z", "patient": "p3", "encounter": "e5", "code": "5", "dispenses": "2147483647"},
        {"start": "2026-01-01T10:00:00Z", "patient": "p3", "encounter": "e5", "code": "6", "dispenses": "2147483648"},
        {"start": "2026-01-01T10:00:00Z", "patient": "p4", "encounter": "e7", "code": "7", "dispenses": "-3"},
        {"start": "2026-01-01T10:00:00Z", "patient": "p4", "encounter": "e7", "code": "8", "dispenses": " 7 "},
        {"start": "2026-01-01T10:00:00Z", "patient": "p4", "encounter": "e7", "code": "9", "dispenses": "007"},
        {"start": None, "patient": "p5", "encounter": None, "code": None, "dispenses": None},
    ],
    "observations": [
        {"date": "2026-01-01T10:00:00Z", "patient": "p1", "encounter": "e1", "category": " Vital-Signs ",
         "code": "8867-4", "value": value, "units": " /min ", "type": "numeric"}
        for value in (
            "72", "  98.6  ", "12" + NL, ARABIC_12, "1e5", ".5", "5.", "+3", "-0", "NaN", "Infinity", "1e400",
            "123 Main St", "1.0E10", "12345678", "0.0001", "1e-7", "0.1", "4.35", "12.000000000000001",
            "\t12", None,
        )
    ] + [
        {"date": "2026-01-01T10:00:00Z" + NL, "patient": "p2", "encounter": "e3", "code": "1", "value": "1"},
        {"date": "2026-01-01T10:00:00+0530", "patient": "p2", "encounter": "e3", "code": "2", "value": "2"},
        {"date": "2026-01-01", "patient": None, "encounter": None, "code": "3", "value": "3"},
    ],
    "enrollments": [
        {"device_id": "d1", "patient_mrn": "p1", "device_model": " Watch ", "enrolled_at": "2025-12-01T09:00:00Z"},
        {"device_id": "d2", "patient_mrn": "p2", "device_model": "Band", "enrolled_at": "2025-12-01T09:00:00Z" + NL},
        # Re-enrolled to another patient on a later day: the newest enrollment wins.
        {"device_id": "d2", "patient_mrn": "p3", "device_model": "Band", "enrolled_at": "2025-12-02",
         "delivery_date": dt.date(2026, 1, 11)},
        {"device_id": "d3", "patient_mrn": None, "device_model": ODD_TEXT},
        {"device_id": None, "patient_mrn": "p4"},
        {"device_id": "apple-1", "patient_mrn": "p4", "device_model": "Apple Watch",
         "enrolled_at": "2025-12-01T09:00:00.000001+01:00"},
    ],
}


def _omh(device: str, measure: str, value: str | None, unit: str | None, at: str | None, **more) -> dict:
    return {"device_id": device, "source_format": "openmhealth", "measure": measure, "value": value,
            "unit": unit, "effective_date_time": at, **more}


def _apple(device: str, kind: str, value: str | None, unit: str | None, start: str, end: str | None = None) -> dict:
    return {"device_id": device, "source_format": "apple_health", "measure": kind, "value": value, "unit": unit,
            "start_date_time": start, "end_date_time": end}


# One hour of readings with inexact decimal values, split between the start and the end of
# the table, so that JVM Spark (whose local scan cuts the rows into two partitions) sums them in
# two partial sums while Sail sums them in another order: see test_hourly_vitals_are_identical.
_SPREAD_HOUR = [
    _omh("d1", measure, f"{base + 0.37 * n:.2f}", unit, f"2026-01-05T13:{n:02d}:30Z")
    for n in range(24)
    for measure, unit, base in (("heart_rate", "beats/min", 60.1), ("oxygen_saturation", "%", 90.3),
                                ("step_count", "steps", 10.1))
]

EDGE_ROWS["readings"] = [
    *_SPREAD_HOUR[::2],
    # An hour with enough heart-rate readings for a resting rate, whose mean is not exact.
    *(_omh("d1", "heart_rate", v, "beats/min", f"2026-01-05T10:{m:02d}:00Z")
      for m, v in ((1, "61.3"), (6, "72.1"), (11, "68.9"), (16, "70.7"), (21, "66.65"))),
    *(_omh("d1", "heart_rate", v, "beats/min", f"2026-01-05T11:{m:02d}:00.25Z")
      for m, v in ((3, "80.1"), (8, "79.9"), (13, "81.05"))),
    _omh("d1", "heart_rate", "72" + NL, "beats/min", "2026-01-05T12:00:00Z"),
    _omh("d1", "heart_rate", ARABIC_12, "beats/min", "2026-01-05T12:01:00Z"),
    _omh("d1", "heart_rate", "0.0001", "beats/min", "2026-01-05T12:02:00Z"),  # impossible, tiny
    _omh("d1", "heart_rate", "400", "beats/min", "2026-01-05T12:03:00Z"),
    _omh("d1", "heart_rate", "72", "Beats/Min ", "2026-01-05T12:04:00Z" + NL),
    _omh("d1", "heart_rate", "73", "bpm", "2026-01-05T12:05:00Z"),  # unit not conformed
    _omh("d1", "heart_rate", "abc", "beats/min", "2026-01-05T12:06:00Z"),
    _omh("d1", "heart_rate", "74", ODD_TEXT, "2026-01-05T12:07:00Z"),
    _omh("d1", "step_count", "12345678", "steps", "2026-01-05T10:30:00Z"),  # impossible, huge
    _omh("d1", "step_count", "1e3", "steps", "2026-01-05T10:31:00Z"),
    _omh("d1", "step_count", "-0", "steps", "2026-01-05T10:32:00Z"),
    _omh("d1", "step_count", "-5", "steps", "2026-01-05T10:33:00Z"),
    _omh("d1", "oxygen_saturation", "97.3", "%", "2026-01-05T10:40:00+01:00"),
    _omh("d1", "oxygen_saturation", "96.1", "%", "2026-01-05T10:41:00+0100"),
    _omh("d1", "oxygen_saturation", "98.7", "%", "2026-01-05T10:42:00.999999+01:00"),
    _omh("d1", "sleep_episode", "7.3", "h", None, start_date_time="2026-01-04T23:00:00Z",
         end_date_time="2026-01-05T06:18:00Z"),
    _omh("d1", "body_temperature", "98.6", "F", "2026-01-05T10:50:00Z"),
    # The same data point delivered again a day later: one duplicate in outcomes().
    _omh("d1", "heart_rate", "61.3", "beats/min", "2026-01-05T10:01:00Z", delivery_date=dt.date(2026, 1, 11)),
    # d2 moved from p2 to p3: its readings belong to p3, shifted by p3's days.
    _omh("d2", "heart_rate", "55", "beats/min", "2026-01-05T23:59:59.999999Z"),
    _omh("d2", "heart_rate", "56", "beats/min", "2026-01-06T00:00:00Z"),
    _omh("d9", "heart_rate", "57", "beats/min", "2026-01-05T10:00:00Z"),  # not enrolled
    _omh(None, "heart_rate", "58", "beats/min", "2026-01-05T10:00:00Z"),  # no device
    _omh("d1", "heart_rate", "59", "beats/min", "\u0662\u0660\u0662\u0666-01-05T10:00:00Z"),
    _apple("apple-1", "HKQuantityTypeIdentifierHeartRate", "64", "count/min", "2026-01-05 10:20:00 +0100"),
    _apple("apple-1", "HKQuantityTypeIdentifierHeartRate", "65", "count/min", "2026-01-05 10:25:00 -1300"),
    _apple("apple-1", "HKQuantityTypeIdentifierHeartRate", "66", "count/min", "2026-01-05 10:30:00 +0100" + NL),
    _apple("apple-1", "HKQuantityTypeIdentifierHeartRate", "67", "count/min", "2026-01-05T10:35:00Z"),
    _apple("apple-1", "HKQuantityTypeIdentifierOxygenSaturation", "0.973", "%", "2026-01-05 10:40:00 +0000"),
    _apple("apple-1", "HKQuantityTypeIdentifierStepCount", "250", "count", "2026-01-05 10:45:00 +0000",
           "2026-01-05 10:50:00 +0000"),
    _apple("apple-1", "HKQuantityTypeIdentifierDistanceWalkingRunning", "0.00099", "km",
           "2026-01-05 10:45:00 +0000"),
    *_SPREAD_HOUR[1::2],
]

EDGE_ROWS["labs"] = [
    {"message_control_id": "m1", "sending_facility": "LAB^1.2.3^ISO", "patient_mrn": "p1", "obx_set_id": str(n),
     "value_type": vt, "observation_code": code, "observation_text": "Glucose", "observation_value": value,
     "units_code": unit, "reference_range": rr, "abnormal_flags": flags, "result_status": " F ",
     "observation_datetime": obs, "order_observation_datetime": "20260101", "message_datetime": "202601011200"}
    for n, (vt, code, value, unit, rr, flags, obs) in enumerate([
        ("NM", "2345-7", "5.5", "mmol/L", "3.9-5.5", "H~L", "20260101103015.1234+0530"),
        ("nm ", "2345-7" + NL, "99", "mg/dL", "70 - 99" + NL, "^N", "202601011030"),
        ("NM", "\u0662\u0663\u0664\u0665-\u0667", "99", "mg/dL", "70 to 99", None, "20260101103015-0000"),
        ("NM", "2345-7", "5.5" + NL, "MMOL/L", f"3.9{NBSP}-{NBSP}5.5", "", "20260101" + NL),
        ("NM", "2345-7", ARABIC_12, "mg/dL", "\u0661-\u0665", None, "\u0662\u0660\u0662\u0666\u0660\u0661\u0660\u0661"),
        ("SN", "2345-7", "^5.5", "mmol/L", "<=5.5", None, None),
        ("SN", "2345-7", ">^5", "mmol/L", ">3.9", None, "2026"),
        ("SN", "2345-7", "=^6", "mmol/L", " >= 3.9 ", None, "202601011030"),
        ("NM", "2345-7", "-1", "mg/dL", "-1.5_2", None, "202601011030"),
        ("NM", "2345-7", "1e400", "mg/dL", "1e400-1e401", None, "202601011030"),
        ("NM", "2345-7", "5", "furlongs", ODD_TEXT, ODD_TEXT, "202601011030"),
        ("NM", "XYZ", "5", "mg/dL", None, None, "202601011030"),
        ("NM", "4548-4", "48", "mmol/mol", "20-42", "H", "202601011030"),
        ("ST", "2345-7", "positive", "mg/dL", None, None, "202601011030"),
    ], start=1)
] + [
    # No patient, and the same message again a day later (a re-delivery): a duplicate.
    {"message_control_id": "m2", "sending_facility": "LAB", "patient_mrn": None, "obx_set_id": "1",
     "value_type": "NM", "observation_code": "2345-7", "observation_value": "5", "units_code": "mg/dL",
     "observation_datetime": "20260101"},
    {"message_control_id": "m1", "sending_facility": "LAB^1.2.3^ISO", "patient_mrn": "p1", "obx_set_id": "1",
     "value_type": "NM", "observation_code": "2345-7", "observation_value": "5.6", "units_code": "mmol/L",
     "observation_datetime": "20260101103015.1234+0530", "delivery_date": dt.date(2026, 1, 11)},
]


def _edge_cases() -> dict[str, pa.Table]:
    tables = {}
    for name, table in BRONZE_TABLES.items():
        rows = []
        for number, row in enumerate(EDGE_ROWS[name], start=1):
            day = row.get("delivery_date", dt.date(2026, 1, 10))
            full = dict.fromkeys(table.schema.names)
            full.update({
                "source_file": f"edge/{day}/{name}",
                "source_file_sha256": hashlib.sha256(f"edge/{day}/{name}".encode()).hexdigest(),
                "delivery_date": day,
                "ingested_at": dt.datetime(2026, 1, 12, tzinfo=UTC),
            })
            positions = (number,) if len(table.position_columns) == 1 else (1 + number // 4, number)
            full.update(zip(table.position_columns, positions, strict=True))
            full.update(row)
            rows.append(full)
        tables[name] = pa.Table.from_pylist(rows, schema=table.schema)
    return tables


@pytest.fixture(scope="module", params=["generated", "samples", "edge-cases"])
def bronze(request, tmp_path_factory) -> dict[str, pa.Table]:
    """The bronze rows of one input set, by table, as Arrow tables both engines are fed."""
    if request.param == "generated":
        return request.getfixturevalue("generated_parity_bronze")
    if request.param == "samples":
        return _samples(request.getfixturevalue("samples_dir"), tmp_path_factory.mktemp("samples"))
    return _edge_cases()


@pytest.mark.parametrize("table", list(CONFORMED))
def test_conformed_rows_are_identical(engines, bronze, table):
    build = CONFORMED[table][1]
    rows = assert_identical(lambda session: build(in_memory(session, bronze)), engines)
    # Every bronze row comes out once, conformed or with a reason: nothing silently dropped.
    assert len(rows) == bronze[BRONZE_OF[table]].num_rows


# Rows the dedup window must label "duplicates" in the edge cases: a patient, an enrollment,
# a reading and a lab result delivered again a day later, and 15 numeric observations that
# share one key within one file (ranked by their position text alone).
EDGE_DUPLICATES = {"patients": 1, "observations": 14, "lab_results": 1, "device_enrollments": 1,
                   "wearable_readings": 1}


@pytest.mark.parametrize("table", list(CONFORMED))
def test_outcomes_are_identical(request, engines, bronze, table):
    """The dedup window (newest delivery first) labels the same rows on both engines."""
    silver_table, build = CONFORMED[table]
    rows = assert_identical(lambda session: outcomes(build(in_memory(session, bronze)), silver_table), engines)
    assert len(rows) == bronze[BRONZE_OF[table]].num_rows
    if request.node.callspec.params["bronze"] == "edge-cases":
        duplicates = sum(r["_outcome"] == "duplicates" for r in rows)
        assert duplicates == EDGE_DUPLICATES.get(table, 0)


def test_hourly_vitals_are_identical(engines, bronze):
    # The float sums and means may differ in the last ulp from summation order alone.
    rows = assert_identical(lambda session: hourly_vitals(in_memory(session, bronze)), engines,
                            approximate=VITALS_SUMMED)
    assert rows, "no vitals: the input set exercises nothing"


def test_patient_features_are_identical(request, engines, bronze):
    rows = assert_identical(lambda session: patient_features(in_memory(session, bronze)), engines,
                            approximate=FEATURES_SUMMED)
    if request.node.callspec.params["bronze"] == "generated":
        assert rows and any(r["creatinine_last"] is not None for r in rows)


def test_open_stay_features_are_identical(request, engines, bronze):
    as_of = F.lit(dt.datetime(2026, 1, 6, 5, 0, tzinfo=dt.UTC))

    def build(session):
        return features.inpatient_features(*feature_inputs(in_memory(session, bronze)), as_of)

    rows = assert_identical(build, engines, approximate=FEATURES_SUMMED)
    if request.node.callspec.params["bronze"] == "generated":
        assert rows, "the generated feeds should have stays open at the cutoff"

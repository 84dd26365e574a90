"""Wearable readings: canonical units and physiological plausibility, on the embedded engine."""

import datetime as dt

import pytest

from healthcare_dataops import reference
from healthcare_dataops.formats.records import WEARABLE_READING_COLUMNS
from healthcare_dataops.lakehouse.silver_writer import REASON
from healthcare_dataops.privacy import DEVELOPMENT_KEY, key_bytes, pseudonym_of
from healthcare_dataops.transforms.wearables import conform_readings

KEY = key_bytes(DEVELOPMENT_KEY)
RAW_SCHEMA = ", ".join(f"{c} string" for c in WEARABLE_READING_COLUMNS) + (
    ", source_record long, source_file string, source_file_sha256 string, delivery_date date"
)


def _reading(measure: str, value: str, unit: str) -> dict:
    row = dict.fromkeys(WEARABLE_READING_COLUMNS)
    row.update(device_id="WD-1", source_format="openmhealth", measure=measure, value=value, unit=unit,
               effective_date_time="2026-01-05T03:00:00+01:00")
    row.update(source_record=1, source_file="f", source_file_sha256="s", delivery_date=dt.date(2026, 1, 5))
    return row


@pytest.mark.parametrize(
    ("measure", "value", "unit", "expected", "reason"),
    [
        ("body_temperature", "98.6", "F", 37.0, None),
        ("body_temperature", "37.2", "C", 37.2, None),
        ("sleep_episode", "7.5", "h", 450.0, None),
        ("heart_rate", "400", "beats/min", 400.0, "physiologically impossible: above the possible range"),
        ("oxygen_saturation", "130", "%", 130.0, "physiologically impossible: above the possible range"),
        ("step_count", "-5", "steps", -5.0, "physiologically impossible: below the possible range"),
        ("heart_rate", "72", "furlongs/fortnight", None, "measure or unit not conformed in silver"),
    ],
)
def test_readings_are_converted_and_impossible_values_quarantined(spark, measure, value, unit, expected, reason):
    raw = spark.createDataFrame([_reading(measure, value, unit)], RAW_SCHEMA)
    owner = pseudonym_of("MRN-1", KEY, "patient")
    enrollments = spark.createDataFrame(
        [(pseudonym_of("WD-1", KEY, "device"), owner)], "device_id string, patient_id string"
    )
    [row] = conform_readings(raw, enrollments, reference.wearable_measures(spark), KEY).collect()
    assert row[REASON] == reason
    assert row["value"] == pytest.approx(expected) if expected is not None else row["value"] is None
    assert row["patient_id"] == owner
    # 03:00+01:00 is 02:00 UTC, moved back by the patient's date shift (whole days).
    assert (row["measured_at"].hour, row["measured_at"].minute) == (2, 0)

from __future__ import annotations

import datetime as dt

from pyspark.sql import functions as F

from healthcare_dataops.privacy import (
    MAX_SHIFT_DAYS,
    pseudonym_of,
    shift_date,
    shift_days,
    shift_days_of,
    shift_timestamp,
)

MICROS_PER_DAY = 86_400_000_000
# Three events for each patient: midnight, just before midnight, and an ordinary time.
EVENTS = [
    (dt.date(2024, 3, 1), dt.datetime(2024, 3, 1, 0, 0, 0)),
    (dt.date(2024, 3, 2), dt.datetime(2024, 3, 2, 23, 59, 59, 999_999)),
    (dt.date(2025, 1, 15), dt.datetime(2025, 1, 15, 8, 30, 15, 250_000)),
]


def test_shift_is_between_one_and_max_days_and_uses_every_value(key):
    shifts = [shift_days_of(pseudonym_of(f"MRN-{n}", key, "patient"), key) for n in range(3000)]
    assert set(shifts) == set(range(1, MAX_SHIFT_DAYS + 1))


def test_shift_depends_on_the_key(key, long_key):
    patients = [pseudonym_of(f"MRN-{n}", key, "patient") for n in range(50)]
    shifts = [(shift_days_of(p, key), shift_days_of(p, long_key)) for p in patients]
    assert any(with_key != with_other_key for with_key, with_other_key in shifts)


def test_no_pseudonym_no_shift(key):
    assert shift_days_of(None, key) is None


def test_spark_shift_matches_reference_and_keeps_intervals(engine, key):
    patients = [pseudonym_of(f"MRN-{n}", key, "patient") for n in range(12)]
    rows = [(p, d, ts, ts) for p in patients for d, ts in EVENTS]
    rows += [(patients[0], None, None, None), (None, EVENTS[0][0], EVENTS[0][1], EVENTS[0][1])]
    schema = "patient_id string, d date, ts timestamp, ntz timestamp_ntz"
    frame = engine.createDataFrame(rows, schema)
    days = shift_days("patient_id", key)
    computed = frame.select(
        "patient_id", "d", "ts", days.alias("days"),
        shift_date("d", days).alias("shifted_d"),
        shift_timestamp("ts", days).alias("shifted_ts"),
        shift_timestamp("ntz", days).alias("shifted_ntz"),
        (F.unix_micros("ts") - F.unix_micros(shift_timestamp("ts", days))).alias("moved_micros"),
        (F.unix_micros(shift_timestamp("ts", days)) % MICROS_PER_DAY).alias("time_of_day"),
        (F.unix_micros("ts") % MICROS_PER_DAY).alias("original_time_of_day"),
    ).collect()

    assert len(computed) == len(rows)
    for row in computed:
        expected = shift_days_of(row["patient_id"], key)
        assert row["days"] == expected
        if expected is None or row["d"] is None:
            assert row["shifted_d"] is row["shifted_ts"] is row["shifted_ntz"] is None
            continue
        assert 1 <= expected <= MAX_SHIFT_DAYS
        assert row["shifted_d"] == row["d"] - dt.timedelta(days=expected)
        assert row["shifted_ts"] == row["shifted_ntz"] == row["ts"] - dt.timedelta(days=expected)
        assert row["moved_micros"] == expected * MICROS_PER_DAY
        assert row["time_of_day"] == row["original_time_of_day"]

    by_patient: dict[str, list] = {}
    for row in computed:
        if row["patient_id"] is not None and row["d"] is not None:
            by_patient.setdefault(row["patient_id"], []).append(row)
    for events in by_patient.values():
        first, *rest = sorted(events, key=lambda r: r["ts"])
        for later in rest:
            assert later["shifted_ts"] - first["shifted_ts"] == later["ts"] - first["ts"]
            assert later["shifted_d"] - first["shifted_d"] == later["d"] - first["d"]

"""A single-process DuckDB baseline of ``hourly_vitals`` and ``patient_features``.

The benchmark sets our Spark step times beside what one process does with the same data, so
the baseline must compute exactly what the Spark transforms compute: the same rows, columns
and types (``healthcare_dataops_tests/benchmark/test_duckdb_baseline`` proves it). The SQL
mirrors the Spark plans join for join and aggregate for aggregate, so duplicated inputs fan
out the same way, and it is generated from the transforms' own constants, so a change to a
comorbidity, a key lab, a window or the feature order changes the baseline too.

Inputs are plain Parquet files, one list per table; each run opens its own in-memory DuckDB
with its default threads (every core) and writes one Parquet file with ``COPY``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import duckdb

from healthcare_dataops.privacy import MAX_SHIFT_DAYS
from healthcare_dataops.transforms.features import (
    COMORBIDITIES,
    DAY,
    FEATURES,
    KEY_LABS,
    LABEL,
    READMISSION_WINDOW_DAYS,
    SILVER_INPUTS,
)
from healthcare_dataops.transforms.wearables import RESTING_HOUR_MIN_READINGS, VITALS_COLUMNS

WEARABLE_FEATURES = ("resting_hr_3d", "resting_hr_delta", "steps_per_day_7d", "spo2_min_7d", "sleep_minutes_per_day_7d")
Files = str | Sequence[str]


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _unix_timestamp(timestamp: str) -> str:
    # Spark's unix_timestamp divides the microseconds truncating toward zero, as DuckDB's //
    # does: half a second before 1970 is second 0 (not -1, as a cast to long gives).
    return f"(epoch_us({timestamp}) // 1000000)"


def _seconds_between(later: str, earlier: str) -> str:
    return f"({_unix_timestamp(later)} - {_unix_timestamp(earlier)})"


def hourly_vitals_sql() -> str:
    """``wearables.hourly_vitals`` over the table ``wearable_readings``."""

    def when(measure: str) -> str:
        return f"CASE WHEN measure = {_literal(measure)} THEN value END"

    resting = (
        f"min(CASE WHEN heart_rate_readings >= {RESTING_HOUR_MIN_READINGS} THEN heart_rate_mean END)"
        " OVER (PARTITION BY patient_id, measured_date) AS resting_heart_rate"
    )
    return f"""
        WITH hourly AS (
            SELECT
                patient_id, measured_date, date_trunc('hour', measured_at) AS hour_start,
                avg({when("heart_rate")}) AS heart_rate_mean,
                min({when("heart_rate")}) AS heart_rate_min,
                max({when("heart_rate")}) AS heart_rate_max,
                count({when("heart_rate")}) AS heart_rate_readings,
                sum({when("steps")}) AS steps,
                min({when("spo2")}) AS spo2_min,
                avg({when("spo2")}) AS spo2_mean,
                sum({when("sleep")}) AS sleep_minutes,
                max(delivery_date) AS last_delivery_date
            FROM wearable_readings
            WHERE patient_id IS NOT NULL
            GROUP BY patient_id, measured_date, hour_start
        )
        SELECT {", ".join(resting if c == "resting_heart_rate" else c for c in VITALS_COLUMNS)}
        FROM hourly
    """


def patient_features_sql() -> str:
    """``features.patient_features`` over the tables named in ``SILVER_INPUTS``."""
    flags = {
        name: f"max((c.code IN ({', '.join(map(_literal, codes))}))::INTEGER)" for name, codes in COMORBIDITIES.items()
    }
    prior_gap = _seconds_between("i.admitted_at", "e.start_at")

    def within(days: int, encounter_class: str) -> str:
        counted = f"({prior_gap} <= {days * DAY}) AND e.encounter_class = {_literal(encounter_class)}"
        # Spark sums ints into a bigint; DuckDB into a HUGEINT.
        return f"sum(({counted})::INTEGER)::BIGINT"

    def lab(analyte: str, newness: int) -> str:
        return f"max(CASE WHEN analyte = {_literal(analyte)} AND newness = {newness} THEN value END)"

    lab_columns = [f"{lab(a, 1)} AS {a}_last, {lab(a, 1)} - {lab(a, 2)} AS {a}_trend" for a in KEY_LABS]

    before_cutoff = _seconds_between("i.cutoff_at", "v.hour_start")
    admitted_gap = _seconds_between("i.admitted_at", "v.hour_start")
    # The patient's usual resting rate: days 10 to 4 before the admission.
    baseline = f"({admitted_gap} >= {4 * DAY} AND {admitted_gap} <= {10 * DAY})"

    def last_days(days: int) -> str:
        return f"({before_cutoff} <= {days * DAY})"

    days_7 = "count(DISTINCT CASE WHEN in_7d THEN measured_date END)"
    resting_3d = "avg(CASE WHEN in_3d THEN resting_heart_rate END)"

    zero_when_missing = {name: f"coalesce(c.{name}, 0)" for name in COMORBIDITIES}
    zero_when_missing |= {
        name: f"coalesce(u.{name}, 0)" for name in ("admissions_6m", "admissions_12m", "ed_visits_6m", "ed_visits_12m")
    }
    features = {
        "sex": "p.sex",
        "age_band": "p.age_band",
        # 90 and over have no birth year: they count as 90. Spark's year() is an int.
        "age_at_discharge": "coalesce(year(i.cutoff_at)::INTEGER - p.birth_year, 90)",
        **zero_when_missing,
        "comorbidity_count": " + ".join(zero_when_missing[name] for name in COMORBIDITIES),
        "length_of_stay_days": "i.length_of_stay_days",
        **{f"{a}_{kind}": f"l.{a}_{kind}" for a in KEY_LABS for kind in ("last", "trend")},
        **{name: f"w.{name}" for name in WEARABLE_FEATURES},
    }
    readmission_gap = _seconds_between("r.start_at", "i.cutoff_at")
    return f"""
        WITH idx AS (
            SELECT encounter_id, patient_id, start_at AS admitted_at, end_at AS cutoff_at,
                length_of_stay_hours / 24.0 AS length_of_stay_days, delivery_date AS discharge_delivery_date
            FROM encounters
            WHERE encounter_class = 'inpatient' AND end_at IS NOT NULL
        ),
        comorbidities AS (
            SELECT i.encounter_id, {", ".join(f"{flag} AS {name}" for name, flag in flags.items())}
            FROM idx i JOIN conditions c
                ON i.patient_id = c.patient_id AND c.onset_date <= i.cutoff_at::DATE
            GROUP BY i.encounter_id
        ),
        prior_utilization AS (
            SELECT i.encounter_id,
                {within(182, "inpatient")} AS admissions_6m, {within(365, "inpatient")} AS admissions_12m,
                {within(182, "emergency")} AS ed_visits_6m, {within(365, "emergency")} AS ed_visits_12m
            FROM idx i JOIN encounters e
                ON i.patient_id = e.patient_id AND {prior_gap} > 0 AND {prior_gap} <= {365 * DAY}
            GROUP BY i.encounter_id
        ),
        newest_labs AS (
            SELECT i.encounter_id, r.analyte, r.value, row_number() OVER (
                PARTITION BY i.encounter_id, r.analyte ORDER BY r.observed_at DESC NULLS LAST, r.value DESC NULLS LAST
            ) AS newness
            FROM idx i JOIN lab_results r ON i.patient_id = r.patient_id AND r.observed_at < i.cutoff_at
            WHERE r.analyte IN ({", ".join(map(_literal, KEY_LABS))})
            QUALIFY newness <= 2
        ),
        labs AS (
            SELECT encounter_id, {", ".join(lab_columns)}
            FROM newest_labs
            GROUP BY encounter_id
        ),
        wearable_hours AS (
            SELECT i.encounter_id, v.measured_date, v.steps, v.spo2_min, v.sleep_minutes, v.resting_heart_rate,
                {last_days(3)} AS in_3d, {last_days(7)} AS in_7d, {baseline} AS in_baseline
            FROM idx i JOIN wearable_vitals v
                -- Only hours that ended before the discharge.
                ON i.patient_id = v.patient_id AND {before_cutoff} >= 3600 AND ({last_days(7)} OR {baseline})
        ),
        wearables AS (
            SELECT encounter_id,
                {resting_3d} AS resting_hr_3d,
                {resting_3d} - avg(CASE WHEN in_baseline THEN resting_heart_rate END) AS resting_hr_delta,
                -- Per day with data; no day with data gives null, as in Spark.
                CASE WHEN {days_7} > 0 THEN sum(CASE WHEN in_7d THEN steps END) / {days_7} END AS steps_per_day_7d,
                min(CASE WHEN in_7d THEN spo2_min END) AS spo2_min_7d,
                CASE WHEN {days_7} > 0 THEN sum(CASE WHEN in_7d THEN sleep_minutes END) / {days_7} END
                    AS sleep_minutes_per_day_7d
            FROM wearable_hours
            GROUP BY encounter_id
        ),
        labels AS (
            SELECT i.encounter_id, max((r.start_at IS NOT NULL)::INTEGER) AS {LABEL}
            FROM idx i LEFT JOIN (SELECT patient_id, start_at FROM encounters WHERE encounter_class = 'inpatient') r
                ON i.patient_id = r.patient_id AND {readmission_gap} > 0
                AND {readmission_gap} <= {READMISSION_WINDOW_DAYS * DAY}
            GROUP BY i.encounter_id
        )
        SELECT i.encounter_id, i.patient_id, i.admitted_at, i.cutoff_at AS discharged_at,
            {", ".join(f"{features[name]} AS {name}" for name in FEATURES)},
            labels.{LABEL},
            -- Final once the data reach 30 days past the export, or 30 days plus the largest
            -- date shift past the shifted discharge (see features.patient_features).
            date_diff('day', i.discharge_delivery_date, horizon) >= {READMISSION_WINDOW_DAYS}
                OR date_diff('day', i.cutoff_at::DATE, horizon) >= {READMISSION_WINDOW_DAYS + MAX_SHIFT_DAYS}
                AS label_complete
        FROM idx i
            LEFT JOIN patients p ON i.patient_id = p.patient_id
            LEFT JOIN comorbidities c ON i.encounter_id = c.encounter_id
            LEFT JOIN prior_utilization u ON i.encounter_id = u.encounter_id
            LEFT JOIN labs l ON i.encounter_id = l.encounter_id
            LEFT JOIN wearables w ON i.encounter_id = w.encounter_id
            LEFT JOIN labels ON i.encounter_id = labels.encounter_id
            CROSS JOIN (SELECT max(delivery_date) AS horizon FROM encounters)
    """


def _connect(tables: Mapping[str, Files]) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB (default threads: every core) with each table a view of its files."""
    connection = duckdb.connect()
    # Spark's session zone: date_trunc, dates and years of the UTC instants are taken in UTC.
    connection.execute("SET TimeZone = 'UTC'")
    for name, files in tables.items():
        paths = [files] if isinstance(files, str) else files
        connection.execute(f"CREATE VIEW {name} AS SELECT * FROM read_parquet([{', '.join(map(_literal, paths))}])")
    return connection


def hourly_vitals(readings: Files) -> duckdb.DuckDBPyRelation:
    """The hourly vitals of the readings' Parquet files, as a relation on a connection of its own."""
    return _connect({"wearable_readings": readings}).sql(hourly_vitals_sql())


def patient_features(
    encounters: Files, patients: Files, conditions: Files, lab_results: Files, wearable_vitals: Files
) -> duckdb.DuckDBPyRelation:
    """The patient features of the tables' Parquet files, as a relation on a connection of its own."""
    inputs = dict(zip(SILVER_INPUTS, (encounters, patients, conditions, lab_results, wearable_vitals), strict=True))
    return _connect(inputs).sql(patient_features_sql())


def _write(connection: duckdb.DuckDBPyConnection, query: str, out_path: str) -> int:
    with connection:
        [(rows,)] = connection.execute(f"COPY ({query}) TO {_literal(out_path)} (FORMAT parquet)").fetchall()
    return rows


def run_hourly_vitals(readings_parquet: Sequence[str], out_path: str) -> int:
    """Hourly vitals of the readings into one Parquet file; returns the rows written."""
    return _write(_connect({"wearable_readings": readings_parquet}), hourly_vitals_sql(), out_path)


def run_patient_features(inputs: Mapping[str, Sequence[str]], out_path: str) -> int:
    """Patient features of the tables in ``inputs`` (``SILVER_INPUTS``, each a list of Parquet
    files) into one Parquet file; returns the rows written."""
    return _write(_connect({name: inputs[name] for name in SILVER_INPUTS}), patient_features_sql(), out_path)

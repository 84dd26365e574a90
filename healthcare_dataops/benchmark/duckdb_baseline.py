"""A single-process DuckDB baseline of ``hourly_vitals`` and ``patient_features``.

The benchmark sets our Spark step times beside what one process does with the same data, so
the baseline must compute exactly what the Spark transforms compute: the same rows, columns
and types (``healthcare_dataops_tests/benchmark/test_duckdb_baseline`` proves it). The SQL
mirrors the Spark plans join for join and aggregate for aggregate, so duplicated inputs fan
out the same way, and it is generated from the transforms' own constants and code lists, so a
change to a comorbidity, a key lab, a window, a cohort code, a Charlson weight or the column
order changes the baseline too. What the SQL spells out by hand, and must follow a change by
hand: the episode and cohort rules (``readmission_cohort``) and the LACE and HOSPITAL points
(``clinical_scores``).

Inputs are plain Parquet files, one list per table; each run opens its own in-memory DuckDB
with its default threads (every core) and writes one Parquet file with ``COPY``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

import duckdb
import pyarrow as pa

from healthcare_dataops import reference
from healthcare_dataops.privacy import shift_days_of
from healthcare_dataops.transforms.clinical_scores import CHARLSON_REPLACES, HOSPITAL, LACE
from healthcare_dataops.transforms.features import (
    COMORBIDITIES,
    DAY,
    FEATURES,
    KEY_LABS,
    LABEL,
    OUTCOME_COLUMNS,
    SILVER_INPUTS,
)
from healthcare_dataops.transforms.readmission_cohort import (
    AGAINST_MEDICAL_ADVICE,
    DIED_IN_HOSPITAL,
    READMISSION_WINDOW_DAYS,
    TRANSFER_WITHIN_SECONDS,
    TRANSFERRED_OUT,
    CohortCodes,
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


def _in(value: str, codes: Sequence[str]) -> str:
    # SQL has no empty IN list; Spark's isin() of none is false (each use here is coalesced
    # or filters, where false and null are the same).
    return f"({value} IN ({', '.join(map(_literal, codes))}))" if codes else "FALSE"


# Spark orders ascending with nulls first, DuckDB with nulls last: every window says which.
BY_START = "PARTITION BY patient_id ORDER BY start_at ASC NULLS FIRST, encounter_id ASC NULLS FIRST"
# The table of each patient's date shift (days), computed in Python from the key: see
# _create_patient_shifts.
PATIENT_SHIFTS = "patient_shifts"


def _episodes_sql(codes: CohortCodes) -> str:
    """``readmission_cohort.inpatient_stays``: every inpatient stay placed in its episode."""
    reason, code = "coalesce(reason_code, '')", "coalesce(code, '')"
    planned = (
        f"({_in(reason, codes.planned_always)} OR ({_in(code, codes.elective_admission)}"
        f" AND {_in(reason, codes.planned_when_elective)}))"
    )
    previous_end = f"lag(end_at) OVER ({BY_START})"
    # A stay that starts while the previous one is still open continues it as well.
    continues = (
        f"(lag(encounter_id) OVER ({BY_START}) IS NOT NULL AND ({previous_end} IS NULL"
        f" OR {_seconds_between('start_at', previous_end)} <= {TRANSFER_WITHIN_SECONDS}))"
    )
    return f"""
        stays AS (
            SELECT encounter_id, patient_id, start_at, end_at, reason_code, delivery_date,
                {planned} AS planned, {_in(code, codes.elective_admission)} AS elective
            FROM encounters
            WHERE encounter_class = 'inpatient'
        ),
        placed AS (
            SELECT *, {continues} AS continues,
                lead(start_at) OVER ({BY_START}) AS next_start,
                lead(planned) OVER ({BY_START}) AS next_planned
            FROM stays
        ),
        numbered AS (
            SELECT *,
                (end_at IS NOT NULL AND next_start IS NOT NULL
                    AND {_seconds_between('next_start', 'end_at')} <= {TRANSFER_WITHIN_SECONDS}) AS transferred_out,
                sum((NOT continues)::INTEGER) OVER (
                    {BY_START} ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS episode
            FROM placed
        ),
        episodes AS (
            SELECT *,
                first_value(start_at) OVER whole_episode AS episode_start,
                first_value(elective) OVER whole_episode AS episode_elective
            FROM numbered
            WINDOW whole_episode AS (
                PARTITION BY patient_id, episode ORDER BY start_at ASC NULLS FIRST, encounter_id ASC NULLS FIRST
                ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)
        ),
        idx AS (
            -- readmission_cohort.index_admissions: every closed stay, from its episode's start.
            SELECT encounter_id, patient_id, episode_start AS admitted_at, end_at AS cutoff_at,
                {_seconds_between('end_at', 'episode_start')} / {DAY} AS length_of_stay_days,
                delivery_date AS discharge_delivery_date,
                -- Only the first readmission counts: a planned one first means none.
                (next_start IS NOT NULL
                    AND {_seconds_between('next_start', 'end_at')} <= {READMISSION_WINDOW_DAYS * DAY}
                    AND NOT coalesce(next_planned, FALSE))::INTEGER AS readmitted,
                episode_elective AS elective,
                coalesce({_in('reason_code', codes.oncology_reason)}, FALSE) AS oncology,
                coalesce({_in('reason_code', codes.procedure_reason)}, FALSE) AS had_procedure,
                episode_start, end_at, transferred_out
            FROM episodes
            WHERE end_at IS NOT NULL
        ),
        against_advice AS (
            SELECT DISTINCT encounter_id AS against_advice
            FROM conditions
            WHERE {_in('code', codes.against_medical_advice)}
        ),
        exclusions AS (
            -- readmission_cohort.cohort_exclusion. Dates of death are local days, stay times
            -- UTC: a day's leeway at the admission's end.
            SELECT i.encounter_id,
                CASE
                    WHEN d.deceased_date >= i.episode_start::DATE - 1 AND d.deceased_date <= i.end_at::DATE
                        THEN {_literal(DIED_IN_HOSPITAL)}
                    WHEN i.transferred_out THEN {_literal(TRANSFERRED_OUT)}
                    WHEN a.against_advice IS NOT NULL THEN {_literal(AGAINST_MEDICAL_ADVICE)}
                END AS cohort_exclusion
            FROM idx i
                LEFT JOIN (SELECT patient_id, deceased_date FROM patients WHERE deceased_date IS NOT NULL) d
                    ON i.patient_id = d.patient_id
                LEFT JOIN against_advice a ON i.encounter_id = a.against_advice
        )"""


def _charlson_sql(weights: Mapping[str, tuple[str, int]]) -> str:
    """``clinical_scores.charlson_index``: rows without a Charlson condition are absent."""
    categories = sorted({category for category, _ in weights.values()})

    def weight_of(category: str) -> str:
        cases = " ".join(f"WHEN {_literal(code)} THEN {points}" for code, (name, points) in weights.items()
                         if name == category)
        return f"max(CASE c.code {cases} END)"

    # Within the index a worse category replaces its milder one.
    replaced = [f'CASE WHEN "{worse}" IS NOT NULL AND "{milder}" IS NOT NULL THEN "{milder}" ELSE 0 END'
                for worse, milder in CHARLSON_REPLACES.items() if worse in categories and milder in categories]
    points = " + ".join(f'coalesce("{name}", 0)' for name in categories) or "0"
    per_category = ", ".join(f'{weight_of(name)} AS "{name}"' for name in categories)
    return f"""
        charlson_categories AS (
            SELECT i.encounter_id{", " + per_category if per_category else ""}
            FROM idx i JOIN conditions c
                ON i.patient_id = c.patient_id AND c.onset_date <= i.cutoff_at::DATE
            WHERE {_in('c.code', list(weights))}
            GROUP BY i.encounter_id
        ),
        charlson AS (
            SELECT encounter_id, ({points}) - ({" + ".join(replaced) or "0"}) AS charlson_index
            FROM charlson_categories
        )"""


def _banded(value: str, bands: Sequence[tuple[float, int]]) -> str:
    """Points of the highest band whose lower bound ``value`` reaches; none (or null) is 0."""
    cases = " ".join(f"WHEN {value} >= {low} THEN {given}" for low, given in sorted(bands, reverse=True))
    return f"(CASE {cases} ELSE 0 END)"


def patient_features_sql(
    feeds_began_at: dt.datetime, codes: CohortCodes | None = None,
    charlson_weights: Mapping[str, tuple[str, int]] | None = None,
) -> str:
    """``features.patient_features`` over the tables named in ``SILVER_INPUTS`` and the table
    of date shifts ``PATIENT_SHIFTS`` (patient_id, shift_days)."""
    codes = codes or CohortCodes.from_reference()
    weights = reference.charlson_conditions() if charlson_weights is None else charlson_weights
    flags = {
        name: f"max((c.code IN ({', '.join(map(_literal, comorbidity_codes))}))::INTEGER)"
        for name, comorbidity_codes in COMORBIDITIES.items()
    }
    prior_gap = _seconds_between("i.admitted_at", "e.start_at")

    def within(days: int, encounter_class: str, after_seconds: int = 0) -> str:
        counted = (
            f"{prior_gap} > {after_seconds} AND {prior_gap} <= {days * DAY}"
            f" AND e.encounter_class = {_literal(encounter_class)}"
        )
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
    # Real time of the discharge: the shifted instant moved forward by the patient's shift;
    # feed days count from the start of the first delivery day (Python's int() of the epoch
    # seconds, as features.patient_features takes it).
    real_time = f"({_unix_timestamp('i.cutoff_at')} + s.shift_days::BIGINT * {DAY})"
    feed_day = f"(({real_time} - {int(feeds_began_at.timestamp())}) / {DAY})"
    acute = "(NOT coalesce(i.elective, FALSE))"

    def point(condition: str, given: int) -> str:
        return f"(CASE WHEN coalesce({condition}, FALSE) THEN {given} ELSE 0 END)"

    # clinical_scores.lace and clinical_scores.hospital, band for band.
    lace = " + ".join([
        _banded(f"floor({features['length_of_stay_days']})", [(1, 1), (2, 2), (3, 3), (4, 4), (7, 5), (14, 7)]),
        point(acute, 3),
        "(CASE WHEN ch.charlson_index >= 4 THEN 5 ELSE coalesce(ch.charlson_index, 0) END)",
        f"least(coalesce({features['ed_visits_6m']}, 0), 4)",
    ])
    hospital = " + ".join([
        point(f"{features['hemoglobin_last']} < 12", 1),
        point("i.oncology", 2),
        point(f"{features['sodium_last']} < 135", 1),
        point("i.had_procedure", 1),
        point(acute, 1),
        _banded(f"coalesce({features['admissions_12m']}, 0)", [(2, 2), (6, 5)]),
        point(f"{features['length_of_stay_days']} >= 5", 2),
    ])
    outcomes = {
        LABEL: "CASE WHEN x.cohort_exclusion IS NULL THEN i.readmitted END",
        # A discharge delivered this late is final once the data reach 30 days past its
        # delivery; history from before the feeds never is.
        "label_complete": f"(date_diff('day', i.discharge_delivery_date, horizon) >= {READMISSION_WINDOW_DAYS}"
                          f" AND {feed_day} >= 0)",
        "cohort_exclusion": "x.cohort_exclusion",
        "before_feeds": f"({feed_day} < 0)",
        "feed_day": feed_day,
        LACE: f"({lace})::INTEGER",
        HOSPITAL: f"({hospital})::INTEGER",
    }
    return f"""
        WITH {_episodes_sql(codes)},
        {_charlson_sql(weights)},
        comorbidities AS (
            SELECT i.encounter_id, {", ".join(f"{flag} AS {name}" for name, flag in flags.items())}
            FROM idx i JOIN conditions c
                ON i.patient_id = c.patient_id AND c.onset_date <= i.cutoff_at::DATE
            GROUP BY i.encounter_id
        ),
        prior_utilization AS (
            -- Not the ED visit that led to this admission: one in the day before it.
            SELECT i.encounter_id,
                {within(182, "inpatient")} AS admissions_6m, {within(365, "inpatient")} AS admissions_12m,
                {within(182, "emergency", DAY)} AS ed_visits_6m, {within(365, "emergency", DAY)} AS ed_visits_12m
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
        )
        SELECT i.encounter_id, i.patient_id, i.admitted_at, i.cutoff_at AS discharged_at,
            {", ".join(f"{features[name]} AS {name}" for name in FEATURES)},
            {", ".join(f"{outcomes[name]} AS {name}" for name in OUTCOME_COLUMNS)}
        FROM idx i
            LEFT JOIN patients p ON i.patient_id = p.patient_id
            LEFT JOIN comorbidities c ON i.encounter_id = c.encounter_id
            LEFT JOIN prior_utilization u ON i.encounter_id = u.encounter_id
            LEFT JOIN labs l ON i.encounter_id = l.encounter_id
            LEFT JOIN wearables w ON i.encounter_id = w.encounter_id
            LEFT JOIN exclusions x ON i.encounter_id = x.encounter_id
            LEFT JOIN charlson ch ON i.encounter_id = ch.encounter_id
            LEFT JOIN {PATIENT_SHIFTS} s ON i.patient_id = s.patient_id
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


def _create_patient_shifts(connection: duckdb.DuckDBPyConnection, key: bytes) -> None:
    """The table ``PATIENT_SHIFTS``: each inpatient's date shift, precomputed in Python from the
    distinct patient ids before the features' SQL runs. The shift is an HMAC of the pseudonym
    (``privacy.shift_days_of``, the reference of the Spark expression); DuckDB has no HMAC,
    and one HMAC per patient in Python costs far less than a UDF called per row."""
    ids = [patient for (patient,) in connection.execute(
        "SELECT DISTINCT patient_id FROM encounters WHERE encounter_class = 'inpatient' AND patient_id IS NOT NULL"
    ).fetchall()]
    shifts = pa.table({
        "patient_id": pa.array(ids, pa.string()),
        "shift_days": pa.array([shift_days_of(patient, key) for patient in ids], pa.int32()),
    })
    connection.register("_patient_shifts_arrow", shifts)
    connection.execute(f"CREATE TABLE {PATIENT_SHIFTS} AS SELECT * FROM _patient_shifts_arrow")
    connection.unregister("_patient_shifts_arrow")


def _features_connection(
    tables: Mapping[str, Files], key: bytes, feeds_began_at: dt.datetime, codes: CohortCodes | None,
    charlson_weights: Mapping[str, tuple[str, int]] | None,
) -> tuple[duckdb.DuckDBPyConnection, str]:
    connection = _connect({name: tables[name] for name in SILVER_INPUTS})
    _create_patient_shifts(connection, key)
    return connection, patient_features_sql(feeds_began_at, codes, charlson_weights)


def patient_features(
    encounters: Files, patients: Files, conditions: Files, lab_results: Files, wearable_vitals: Files, *,
    key: bytes, feeds_began_at: dt.datetime, codes: CohortCodes | None = None,
    charlson_weights: Mapping[str, tuple[str, int]] | None = None,
) -> duckdb.DuckDBPyRelation:
    """The patient features of the tables' Parquet files, as a relation on a connection of its
    own; ``key`` and ``feeds_began_at`` as ``features.patient_features`` takes them."""
    inputs = dict(zip(SILVER_INPUTS, (encounters, patients, conditions, lab_results, wearable_vitals), strict=True))
    connection, query = _features_connection(inputs, key, feeds_began_at, codes, charlson_weights)
    return connection.sql(query)


def _write(connection: duckdb.DuckDBPyConnection, query: str, out_path: str) -> int:
    with connection:
        [(rows,)] = connection.execute(f"COPY ({query}) TO {_literal(out_path)} (FORMAT parquet)").fetchall()
    return rows


def run_hourly_vitals(readings_parquet: Sequence[str], out_path: str) -> int:
    """Hourly vitals of the readings into one Parquet file; returns the rows written."""
    return _write(_connect({"wearable_readings": readings_parquet}), hourly_vitals_sql(), out_path)


def run_patient_features(
    inputs: Mapping[str, Sequence[str]], out_path: str, *, key: bytes, feeds_began_at: dt.datetime,
    codes: CohortCodes | None = None, charlson_weights: Mapping[str, tuple[str, int]] | None = None,
) -> int:
    """Patient features of the tables in ``inputs`` (``SILVER_INPUTS``, each a list of Parquet
    files) into one Parquet file; returns the rows written."""
    return _write(*_features_connection(inputs, key, feeds_began_at, codes, charlson_weights), out_path)

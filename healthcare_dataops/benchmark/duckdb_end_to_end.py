"""A single-process DuckDB baseline from the landing files, not from silver's Parquet.

The pipeline's wearable and EHR paths start from the files the sources delivered; so does
this baseline. It reads the same files and does the same logical work on the same rows:
it parses the Open mHealth lines, puts each reading on its patient through the device
enrollments, converts it to the canonical unit of ``data/reference``, takes times to UTC and
keeps the newest delivery of every (device, measure, time); then ``hourly_vitals_sql`` over
those readings; and the Synthea CSVs typed and de-duplicated by silver's own keys. What it
leaves out is what the benchmark sets beside it: pseudonyms and date shifts, quarantine and
its reasons, provenance, checks and Delta. A reading whose device is not enrolled or whose
measure and unit have no canonical form has no row (the pipeline quarantines it); nothing
else is judged. Open mHealth ``.json`` documents and Apple Health XML are not read: the
generator writes neither.

Each part opens its own in-memory DuckDB (every core) and writes Parquet with ``COPY``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path

import duckdb

from healthcare_dataops import landing_layout as layout
from healthcare_dataops import reference
from healthcare_dataops.benchmark.duckdb_baseline import hourly_vitals_sql
from healthcare_dataops.formats.records import EHR_COLUMNS
from healthcare_dataops.transforms import ehr, wearables

# Which body field holds each Open mHealth measure's quantity (``formats/openmhealth``).
OPENMHEALTH_QUANTITIES = {
    "heart_rate": "heart_rate",
    "step_count": "step_count",
    "oxygen_saturation": "oxygen_saturation",
    "body_temperature": "body_temperature",
    "sleep_episode": "total_sleep_time",
}
_QUANTITY = "STRUCT(value DOUBLE, unit VARCHAR)"
_DATA_POINT = {
    "header": "STRUCT(id VARCHAR, creation_date_time VARCHAR, user_id VARCHAR)",
    "body": "STRUCT(" + ", ".join(f"{field} {_QUANTITY}" for field in OPENMHEALTH_QUANTITIES.values())
    + ", effective_time_frame STRUCT(date_time VARCHAR,"
    " time_interval STRUCT(start_date_time VARCHAR, end_date_time VARCHAR)))",
}
READINGS_COLUMNS = ("device_id", "patient_id", "measure", "value", "unit", "measured_at", "measured_end_at",
                    "measured_date", "delivery_date")
DELIVERY_DATE = r"regexp_extract(filename, '/([0-9]{4}-[0-9]{2}-[0-9]{2})/[^/]+$', 1)::DATE"
# What the pipeline's EHR silver keeps, typed, without its de-identification: raw ids, exact
# dates, the ZIP code. Names follow silver's, so its keys (``transforms.ehr``) apply here.
EHR_SELECTS = {
    "patients": {
        "patient_id": "id",
        "sex": "CASE WHEN upper(trim(gender)) IN ('M', 'F') THEN upper(trim(gender)) ELSE 'U' END",
        "birth_date": "try_cast(birthdate AS TIMESTAMPTZ)::DATE", "race": "lower(trim(race))",
        "ethnicity": "lower(trim(ethnicity))", "state": "trim(state)", "zip": "trim(zip)",
        "is_deceased": "deathdate IS NOT NULL",
    },
    "encounters": {
        "encounter_id": "id", "patient_id": "patient", "encounter_class": "lower(trim(encounterclass))",
        "code": "trim(code)", "description": "description", "reason_code": "trim(reasoncode)",
        "start_at": "try_cast(start AS TIMESTAMPTZ)", "end_at": "try_cast(stop AS TIMESTAMPTZ)",
        "length_of_stay_hours": "(epoch(try_cast(stop AS TIMESTAMPTZ)) - epoch(try_cast(start AS TIMESTAMPTZ)))"
        " / 3600.0",
    },
    "conditions": {
        "patient_id": "patient", "encounter_id": "encounter", "system": "coalesce(trim(system), 'SNOMED-CT')",
        "code": "trim(code)", "description": "description", "onset_date": "try_cast(start AS TIMESTAMPTZ)::DATE",
        "resolved_date": "try_cast(stop AS TIMESTAMPTZ)::DATE",
    },
    "medications": {
        "patient_id": "patient", "encounter_id": "encounter", "code": "trim(code)", "description": "description",
        "start_at": "try_cast(start AS TIMESTAMPTZ)", "stop_at": "try_cast(stop AS TIMESTAMPTZ)",
        "dispenses": "try_cast(dispenses AS INTEGER)",
    },
    "observations": {
        "patient_id": "patient", "encounter_id": "encounter", "category": "lower(trim(category))",
        "loinc_code": "trim(code)", "description": "description", "value": "try_cast(trim(value) AS DOUBLE)",
        "unit": "trim(units)", "observed_at": "try_cast(date AS TIMESTAMPTZ)",
    },
}
# Within one delivery (the first export replays weeks of history), a record can come several
# times; the copy furthest along wins: the one with an end over one without, then the later end.
# (CSV lines have no number in DuckDB, and silver's own order by line is by the text "line N".)
EHR_FURTHEST_ALONG = {"patients": "is_deceased", "encounters": "end_at", "conditions": "resolved_date",
                      "medications": "stop_at"}
EHR_KEYS = {table.name: table.keys for table in (ehr.PATIENTS, ehr.ENCOUNTERS, ehr.CONDITIONS, ehr.MEDICATIONS,
                                                  ehr.OBSERVATIONS)}


def wearable_files(landing: Path, days: Sequence[dt.date]) -> list[str]:
    """The Open mHealth JSON Lines files of ``days`` (the days a run covers, not all there are)."""
    return [f for suffix in ("*.jsonl", "*.ndjson") for f in _landing_files(landing, layout.WEARABLES, suffix, days)]


def enrollment_files(landing: Path, days: Sequence[dt.date]) -> list[str]:
    return _landing_files(landing, layout.WEARABLES, layout.ENROLLMENT_FILE_NAME, days)


def ehr_files(landing: Path, table: str, days: Sequence[dt.date]) -> list[str]:
    return _landing_files(landing, layout.EHR, f"{table}.csv", days)


def wearable_readings_sql(data_points: Sequence[str], enrollments: Sequence[str]) -> str:
    """Readings as silver keeps them, without pseudonyms and date shifts: one per device, measure
    and time, from the newest delivery."""
    body = "d.body"
    measure = "CASE " + " ".join(f"WHEN {body}.{field} IS NOT NULL THEN {_literal(name)}"
                                 for name, field in OPENMHEALTH_QUANTITIES.items()) + " END"
    quantity = "coalesce(" + ", ".join(f"{body}.{field}" for field in OPENMHEALTH_QUANTITIES.values()) + ")"
    frame = f"{body}.effective_time_frame"
    measured_at = f"try_cast(coalesce({frame}.date_time, {frame}.time_interval.start_date_time) AS TIMESTAMPTZ)"
    columns = ", ".join(f"{name}: {_literal(kind)}" for name, kind in _DATA_POINT.items())
    return f"""
        WITH enrolled AS ({_newest(f"SELECT device_id, patient_mrn AS patient_id, {DELIVERY_DATE} AS delivery_date, "
                                   f"filename FROM {_csv(enrollments)}", wearables.DEVICE_ENROLLMENTS.keys)}),
        points AS (
            SELECT d.header.user_id AS device_id, {measure} AS source_measure, {quantity} AS quantity,
                {measured_at} AS measured_at,
                try_cast({frame}.time_interval.end_date_time AS TIMESTAMPTZ) AS measured_end_at,
                try_cast(d.header.creation_date_time AS TIMESTAMPTZ) AS created_at, d.header.id AS data_point_id,
                {DELIVERY_DATE} AS delivery_date, filename
            FROM read_json({_list(data_points)}, format = 'newline_delimited', filename = true,
                           columns = {{{columns}}}) d
        ),
        readings AS (
            SELECT p.device_id, e.patient_id, m.measure, p.quantity.value * m.multiply_by + m."add" AS value,
                m.unit, p.measured_at, p.measured_end_at, p.measured_at::DATE AS measured_date, p.delivery_date,
                p.filename, p.created_at, p.data_point_id
            FROM points p
                JOIN enrolled e ON p.device_id = e.device_id
                JOIN measures m ON p.source_measure = m.source_measure
                    AND lower(trim(p.quantity.unit)) = m.unit_lower
        )
        SELECT {", ".join(READINGS_COLUMNS)}
        -- Within one delivery, the newest sync wins.
        FROM ({_newest("SELECT * FROM readings", wearables.WEARABLE_READINGS.keys, ("created_at", "data_point_id"))})
    """


def ehr_table_sql(table: str, files: Sequence[str], delivered: set[str]) -> str:
    """One Synthea table typed and de-duplicated by silver's keys; ``delivered``: the columns its
    files have (lower case). Columns are taken by name: one an older export lacks is null."""
    missing = "".join(f", NULL::VARCHAR AS {name}" for name in EHR_COLUMNS[table] if name not in delivered)
    selects = ", ".join(f"{expression} AS {name}" for name, expression in EHR_SELECTS[table].items())
    typed = f"SELECT {selects}, {DELIVERY_DATE} AS delivery_date, filename FROM (SELECT *{missing} FROM {_csv(files)})"
    furthest = EHR_FURTHEST_ALONG.get(table)
    newest = _newest(typed, EHR_KEYS[table], (furthest,) if furthest else ())
    return f"SELECT * EXCLUDE (filename) FROM ({newest})"


def _newest(rows: str, keys: Sequence[str], then: Sequence[str] = ()) -> str:
    """One row per key: the newest delivery wins, as in silver (``lakehouse.silver.outcomes``);
    among equals, the largest of each column in ``then``, a value over none. (``arg_max`` of the
    row over a GROUP BY took twice as long here: it packs every row into a struct.)"""
    order = ", ".join(["delivery_date DESC", "filename DESC", *(f"{c} DESC NULLS LAST" for c in then)])
    return f"SELECT * FROM ({rows}) QUALIFY row_number() OVER (PARTITION BY {', '.join(keys)} ORDER BY {order}) = 1"


def run_wearable_readings(landing: Path, days: Sequence[dt.date], out_path: str, spill: Path) -> int:
    """The readings of ``days`` into one Parquet file; returns the rows written."""
    with connect(spill) as connection:
        _load_measures(connection)
        query = wearable_readings_sql(wearable_files(landing, days), enrollment_files(landing, days))
        return _copy(connection, query, out_path)


def run_wearable_vitals(readings_path: str, out_path: str, spill: Path) -> int:
    """``hourly_vitals_sql`` over the readings' Parquet file; returns the rows written."""
    with connect(spill) as connection:
        connection.execute(f"CREATE VIEW wearable_readings AS SELECT * FROM read_parquet({_literal(readings_path)})")
        return _copy(connection, hourly_vitals_sql(), out_path)


def run_ehr(landing: Path, days: Sequence[dt.date], out: Path, spill: Path) -> dict[str, int]:
    """Each EHR table of ``days`` into ``out/<table>.parquet``; returns the rows of each."""
    out.mkdir(parents=True, exist_ok=True)
    rows = {}
    with connect(spill) as connection:
        for table in layout.EHR_TABLES:
            files = ehr_files(landing, table, days)
            delivered = {r[0].lower() for r in connection.execute(f"DESCRIBE SELECT * FROM {_csv(files)}").fetchall()}
            rows[table] = _copy(connection, ehr_table_sql(table, files, delivered), str(out / f"{table}.parquet"))
    return rows


def connect(spill: Path) -> duckdb.DuckDBPyConnection:
    connection = duckdb.connect()
    # Times are read with their offsets and kept in UTC, as Spark's session zone has them.
    connection.execute("SET TimeZone = 'UTC'")
    # Row order means nothing here: without it DuckDB streams a COPY in less memory.
    connection.execute("SET preserve_insertion_order = false")
    # A window that outgrows memory spills into the work folder, not into the current one.
    connection.execute(f"SET temp_directory = {_literal(str(spill))}")
    return connection


def _landing_files(landing: Path, source: str, pattern: str, days: Sequence[dt.date]) -> list[str]:
    return sorted(str(p) for day in days for p in (landing / layout.day_folder(source, day)).glob(pattern))


def _load_measures(connection: duckdb.DuckDBPyConnection) -> None:
    rows = [(r["source_measure"], r["unit_as_delivered"].lower(), r["measure"], r["unit"], float(r["multiply_by"]),
             float(r["add"])) for r in reference.read_rows("wearable_measures.csv")]
    connection.execute("CREATE TABLE measures (source_measure VARCHAR, unit_lower VARCHAR, measure VARCHAR, "
                       "unit VARCHAR, multiply_by DOUBLE, add DOUBLE)")
    connection.executemany("INSERT INTO measures VALUES (?, ?, ?, ?, ?, ?)", rows)


def _copy(connection: duckdb.DuckDBPyConnection, query: str, out_path: str) -> int:
    [(rows,)] = connection.execute(f"COPY ({query}) TO {_literal(out_path)} (FORMAT parquet)").fetchall()
    return rows


def _csv(files: Sequence[str]) -> str:
    # Every column as text, as bronze keeps it: typing is the query's work, not the sniffer's.
    return f"read_csv({_list(files)}, header = true, all_varchar = true, union_by_name = true, filename = true)"


def _list(paths: Sequence[str]) -> str:
    if not paths:
        raise FileNotFoundError("no landing files for the days asked for")
    return "[" + ", ".join(map(_literal, paths)) + "]"


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"

"""Bronze Synthea CSV rows → de-identified silver EHR tables.

Names, addresses, SSNs, phone numbers, cities, counties, coordinates and exact dates stay in
bronze. Silver keeps pseudonymous ids, birth year (none for ages 90+), ZIP3, state, and dates
shifted per patient so that intervals within a patient survive.
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from healthcare_dataops.lakehouse.silver_writer import DETAIL, REASON, Lineage, SilverTable, detail
from healthcare_dataops.privacy import (
    age_band,
    birth_year,
    pseudonym,
    shift_date,
    shift_days,
    shift_timestamp,
    zip3,
)
from healthcare_dataops.transforms.columns import reason, to_double
from healthcare_dataops.transforms.timestamps import iso_timestamp

ENCOUNTER_CLASSES = (
    "ambulatory", "emergency", "inpatient", "outpatient", "wellness", "urgentcare",
    "home", "hospice", "snf", "virtual",
)
_LINEAGE = ("source_file_sha256", "source_position", "delivery_date")

PATIENTS = SilverTable(
    "patients",
    ("patient_id", "sex", "birth_year", "age_band", "race", "ethnicity", "state", "zip3",
     "is_deceased", "deceased_date", *_LINEAGE),
    keys=("patient_id",),
)
ENCOUNTERS = SilverTable(
    "encounters",
    ("encounter_id", "patient_id", "encounter_class", "code", "description", "reason_code",
     "start_at", "end_at", "length_of_stay_hours", *_LINEAGE),
    keys=("encounter_id",),
)
CONDITIONS = SilverTable(
    "conditions",
    ("patient_id", "encounter_id", "system", "code", "description", "onset_date",
     "resolved_date", *_LINEAGE),
    keys=("patient_id", "encounter_id", "code", "onset_date"),
)
MEDICATIONS = SilverTable(
    "medications",
    ("patient_id", "encounter_id", "code", "description", "start_at", "stop_at", "dispenses",
     *_LINEAGE),
    keys=("patient_id", "encounter_id", "code", "start_at"),
)
OBSERVATIONS = SilverTable(
    "observations",
    ("patient_id", "encounter_id", "category", "loinc_code", "description", "value", "unit",
     "observed_at", *_LINEAGE),
    keys=("patient_id", "encounter_id", "loinc_code", "observed_at"),
)


# Column lineage (silver column → bronze columns), beside each transform: what a data catalog
# shows. Dates are shifted by a per-patient offset, so a shifted date also comes from PATIENT.
_PROVENANCE: Lineage = {
    "source_file_sha256": ("source_file_sha256",),
    "source_position": ("source_line",),
    "delivery_date": ("delivery_date",),
}


def _lineage() -> list[Column]:
    return [
        F.col("source_file_sha256"),
        F.concat(F.lit("line "), F.col("source_line").cast("string")).alias("source_position"),
        F.col("delivery_date"),
    ]


def _ids(frame: DataFrame, key: bytes, *, patient: str = "patient") -> DataFrame:
    patient_id = pseudonym(F.col(patient), key, "patient")
    return frame.withColumn("patient_id", patient_id).withColumn(
        "_shift", shift_days(F.col("patient_id"), key)
    )


def _date(text: Column) -> Column:
    return F.to_date(iso_timestamp(text))


PATIENTS_LINEAGE: Lineage = {
    "patient_id": ("id",),
    "sex": ("gender",),
    # Age as of the export day: none for 90+.
    "birth_year": ("birthdate", "delivery_date"),
    "age_band": ("birthdate", "delivery_date"),
    "race": ("race",),
    "ethnicity": ("ethnicity",),
    "state": ("state",),
    "zip3": ("zip",),
    "is_deceased": ("deathdate",),
    # Shifted like every date of the patient: the readmission cohort leaves out stays that
    # end in death.
    "deceased_date": ("deathdate", "id"),
    **_PROVENANCE,
}


def conform_patients(raw: DataFrame, key: bytes) -> DataFrame:
    rows = _ids(raw, key, patient="id")
    born = _date(F.col("birthdate"))
    sex = F.upper(F.trim(F.col("gender")))
    return rows.select(
        "patient_id",
        F.when(sex.isin("M", "F"), sex).otherwise(F.lit("U")).alias("sex"),
        birth_year(born, F.col("delivery_date")).alias("birth_year"),
        age_band(born, F.col("delivery_date")).alias("age_band"),
        F.lower(F.trim(F.col("race"))).alias("race"),
        F.lower(F.trim(F.col("ethnicity"))).alias("ethnicity"),
        F.trim(F.col("state")).alias("state"),
        zip3(F.col("zip")).alias("zip3"),
        F.col("deathdate").isNotNull().alias("is_deceased"),
        shift_date(_date(F.col("deathdate")), F.col("_shift")).alias("deceased_date"),
        *_lineage(),
        reason(
            (F.col("patient_id").isNull(), "no patient Id"),
            (born.isNull(), "birth date missing or not a date"),
            (born > F.col("delivery_date"), "birth date after the export day"),
        ).alias(REASON),
        detail(has_birthdate=F.col("birthdate").isNotNull(), gender=sex).alias(DETAIL),
    )


ENCOUNTERS_LINEAGE: Lineage = {
    "encounter_id": ("id",),
    "patient_id": ("patient",),
    "encounter_class": ("encounterclass",),
    "code": ("code",),
    "description": ("description",),
    "reason_code": ("reasoncode",),
    "start_at": ("start", "patient"),
    "end_at": ("stop", "patient"),
    "length_of_stay_hours": ("start", "stop"),
    **_PROVENANCE,
}


def conform_encounters(raw: DataFrame, key: bytes) -> DataFrame:
    rows = _ids(raw, key)
    start, stop = iso_timestamp(F.col("start")), iso_timestamp(F.col("stop"))
    encounter_class = F.lower(F.trim(F.col("encounterclass")))
    return rows.select(
        pseudonym(F.col("id"), key, "encounter").alias("encounter_id"),
        "patient_id",
        encounter_class.alias("encounter_class"),
        F.trim(F.col("code")).alias("code"),
        F.col("description"),
        F.trim(F.col("reasoncode")).alias("reason_code"),
        shift_timestamp(start, F.col("_shift")).alias("start_at"),
        shift_timestamp(stop, F.col("_shift")).alias("end_at"),
        ((F.unix_timestamp(stop) - F.unix_timestamp(start)) / 3600.0).alias("length_of_stay_hours"),
        *_lineage(),
        reason(
            (F.col("id").isNull(), "no encounter Id"),
            (F.col("patient_id").isNull(), "no patient Id"),
            (start.isNull(), "start missing or not an ISO 8601 time"),
            (F.col("stop").isNotNull() & stop.isNull(), "stop is not an ISO 8601 time"),
            (stop < start, "stop before start"),
            (~encounter_class.isin(*ENCOUNTER_CLASSES), "unknown encounter class"),
        ).alias(REASON),
        detail(encounter_class=encounter_class, code=F.col("code")).alias(DETAIL),
    )


CONDITIONS_LINEAGE: Lineage = {
    "patient_id": ("patient",),
    "encounter_id": ("encounter",),
    "system": ("system",),
    "code": ("code",),
    "description": ("description",),
    "onset_date": ("start", "patient"),
    "resolved_date": ("stop", "patient"),
    **_PROVENANCE,
}


def conform_conditions(raw: DataFrame, key: bytes) -> DataFrame:
    rows = _ids(raw, key)
    onset, resolved = _date(F.col("start")), _date(F.col("stop"))
    return rows.select(
        "patient_id",
        pseudonym(F.col("encounter"), key, "encounter").alias("encounter_id"),
        # Synthea v3.0.0 has no SYSTEM column; its condition codes are SNOMED CT.
        F.coalesce(F.trim(F.col("system")), F.lit("SNOMED-CT")).alias("system"),
        F.trim(F.col("code")).alias("code"),
        F.col("description"),
        shift_date(onset, F.col("_shift")).alias("onset_date"),
        shift_date(resolved, F.col("_shift")).alias("resolved_date"),
        *_lineage(),
        reason(
            (F.col("patient_id").isNull(), "no patient Id"),
            (F.col("code").isNull(), "no condition code"),
            (onset.isNull(), "start missing or not a date"),
        ).alias(REASON),
        detail(code=F.col("code")).alias(DETAIL),
    )


MEDICATIONS_LINEAGE: Lineage = {
    "patient_id": ("patient",),
    "encounter_id": ("encounter",),
    "code": ("code",),
    "description": ("description",),
    "start_at": ("start", "patient"),
    "stop_at": ("stop", "patient"),
    "dispenses": ("dispenses",),
    **_PROVENANCE,
}


def conform_medications(raw: DataFrame, key: bytes) -> DataFrame:
    rows = _ids(raw, key)
    start, stop = iso_timestamp(F.col("start")), iso_timestamp(F.col("stop"))
    return rows.select(
        "patient_id",
        pseudonym(F.col("encounter"), key, "encounter").alias("encounter_id"),
        F.trim(F.col("code")).alias("code"),
        F.col("description"),
        shift_timestamp(start, F.col("_shift")).alias("start_at"),
        shift_timestamp(stop, F.col("_shift")).alias("stop_at"),
        # [0-9] and \z rather than \d and $, as in columns.NUMBER (Sail's \d took "١٢" and its
        # cast then raised; JVM Spark's $ took "12\n"). try_cast: a count past INT's range
        # raised on both engines under ANSI mode and stopped the batch; it is null instead.
        F.when(F.col("dispenses").rlike(r"^[0-9]+\z"), F.col("dispenses").try_cast("int")).alias("dispenses"),
        *_lineage(),
        reason(
            (F.col("patient_id").isNull(), "no patient Id"),
            (F.col("code").isNull(), "no medication code"),
            (start.isNull(), "start missing or not an ISO 8601 time"),
        ).alias(REASON),
        detail(code=F.col("code")).alias(DETAIL),
    )


OBSERVATIONS_LINEAGE: Lineage = {
    "patient_id": ("patient",),
    "encounter_id": ("encounter",),
    "category": ("category",),
    "loinc_code": ("code",),
    "description": ("description",),
    "value": ("value",),
    "unit": ("units",),
    "observed_at": ("date", "patient"),
    **_PROVENANCE,
}


def conform_observations(raw: DataFrame, key: bytes) -> DataFrame:
    rows = _ids(raw, key)
    observed = iso_timestamp(F.col("date"))
    value = to_double(F.col("value"))
    return rows.select(
        "patient_id",
        pseudonym(F.col("encounter"), key, "encounter").alias("encounter_id"),
        F.lower(F.trim(F.col("category"))).alias("category"),
        F.trim(F.col("code")).alias("loinc_code"),
        F.col("description"),
        value.alias("value"),
        F.trim(F.col("units")).alias("unit"),
        shift_timestamp(observed, F.col("_shift")).alias("observed_at"),
        *_lineage(),
        reason(
            (F.col("patient_id").isNull(), "no patient Id"),
            (observed.isNull(), "date missing or not an ISO 8601 time"),
            # Free text (Synthea's SDOH answers hold street addresses) never leaves bronze.
            (value.isNull(), "not a numeric observation: free text is withheld from silver"),
        ).alias(REASON),
        # The value itself is left out on purpose: it may be an address.
        detail(loinc_code=F.col("code"), type=F.col("type")).alias(DETAIL),
    )

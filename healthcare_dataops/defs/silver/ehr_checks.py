"""GX suites and conservation checks of the silver EHR tables."""

from healthcare_dataops.defs.bronze.ehr import EHR_BRONZE_TABLES
from healthcare_dataops.defs.silver.fhir import FHIR_INPUTS
from healthcare_dataops.lib.silver_checks import DAYS_BEHIND, UNKNOWN_PATIENT_FLAG, silver_checks
from healthcare_dataops.privacy import AGE_BANDS
from healthcare_dataops.quality.expectations import (
    between,
    fresh,
    in_set,
    known_patients,
    not_null,
    schema,
    unique_key,
)
from healthcare_dataops.transforms import ehr

_FLAGS = (UNKNOWN_PATIENT_FLAG, DAYS_BEHIND)


def _patients_critical(context):
    return [
        *schema((*ehr.PATIENTS.columns, DAYS_BEHIND)),
        *not_null("patient_id", "sex", "age_band"),
        *unique_key("patient_id"),
        *in_set("sex", {"M", "F", "U"}),
        *in_set("age_band", {label for label, _ in AGE_BANDS}),
        *between("birth_year", 1900, 2100),
    ]


def _patients_warnings(context):
    # No freshness here: a day without new or changed patients is normal.
    return not_null("zip3")


def _linked_critical(table, *required):
    def critical(context):
        return [
            *schema((*table.columns, *_FLAGS)),
            *not_null("patient_id", *required),
            *unique_key(*table.keys),
            *known_patients(UNKNOWN_PATIENT_FLAG),
        ]

    return critical


def _encounters_critical(context):
    return [
        *_linked_critical(ehr.ENCOUNTERS, "encounter_id", "start_at")(context),
        *in_set("encounter_class", ehr.ENCOUNTER_CLASSES),
        *between("length_of_stay_hours", 0, None),
    ]


def _only_fresh(context):
    return fresh(DAYS_BEHIND)


def _none(context):
    # Conditions and medications arrive only with some encounters: a quiet day is normal.
    return []


def _fhir(table: str) -> tuple:
    return (FHIR_INPUTS[table],)


ehr_silver_checks = [
    *silver_checks(ehr.PATIENTS, bronze_table=EHR_BRONZE_TABLES["patients"].name,
                   critical=_patients_critical, warnings=_patients_warnings, more_inputs=_fhir("patients")),
    *silver_checks(ehr.ENCOUNTERS, bronze_table=EHR_BRONZE_TABLES["encounters"].name,
                   critical=_encounters_critical, more_inputs=_fhir("encounters"),
                   warnings=lambda context: [*between("length_of_stay_hours", 0, 24 * 365), *fresh(DAYS_BEHIND)]),
    *silver_checks(ehr.CONDITIONS, bronze_table=EHR_BRONZE_TABLES["conditions"].name,
                   critical=_linked_critical(ehr.CONDITIONS, "code", "onset_date"), warnings=_none,
                   more_inputs=_fhir("conditions")),
    *silver_checks(ehr.MEDICATIONS, bronze_table=EHR_BRONZE_TABLES["medications"].name,
                   critical=_linked_critical(ehr.MEDICATIONS, "code", "start_at"), warnings=_none,
                   more_inputs=_fhir("medications")),
    *silver_checks(ehr.OBSERVATIONS, bronze_table=EHR_BRONZE_TABLES["observations"].name,
                   critical=_linked_critical(ehr.OBSERVATIONS, "loinc_code", "value", "observed_at"),
                   warnings=_only_fresh, more_inputs=_fhir("observations")),
]

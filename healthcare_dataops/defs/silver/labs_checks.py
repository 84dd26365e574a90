"""GX suite, conservation check and per-lab value monitor of silver lab results."""

from healthcare_dataops import reference
from healthcare_dataops.defs.bronze.labs import LAB_RESULTS_RAW
from healthcare_dataops.defs.silver.fhir import FHIR_INPUTS
from healthcare_dataops.lib.silver_checks import DAYS_BEHIND, UNKNOWN_PATIENT_FLAG, silver_checks
from healthcare_dataops.lib.source_value_checks import lab_value_monitor
from healthcare_dataops.quality.expectations import (
    between,
    fresh,
    in_set,
    known_patients,
    not_null,
    schema,
    unique_key,
)
from healthcare_dataops.transforms.labs import LAB_RESULTS


def _critical(context):
    analytes = {row["analyte"] for row in reference.read_rows("lab_analytes.csv")}
    units = {row["to_unit"] for row in reference.read_rows("lab_unit_conversions.csv")}
    return [
        *schema((*LAB_RESULTS.columns, UNKNOWN_PATIENT_FLAG, DAYS_BEHIND)),
        *not_null("patient_id", "analyte", "value", "unit", "observed_at", "message_key"),
        *unique_key(*LAB_RESULTS.keys),
        *in_set("analyte", analytes),
        *in_set("unit", units),
        *known_patients(UNKNOWN_PATIENT_FLAG),
    ]


def _warnings(context):
    return [*between("value", 0, 1_000_000), *not_null("reference_low", "reference_high"), *fresh(DAYS_BEHIND)]


lab_silver_checks = silver_checks(
    LAB_RESULTS, bronze_table=LAB_RESULTS_RAW.name, critical=_critical, warnings=_warnings,
    more_inputs=(FHIR_INPUTS[LAB_RESULTS.name],),
    also=[lab_value_monitor()],
)

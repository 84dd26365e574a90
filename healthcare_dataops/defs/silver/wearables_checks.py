"""GX suites, conservation checks and the per-device-model value monitor of the silver
wearable tables."""

from healthcare_dataops import reference
from healthcare_dataops.defs.bronze.wearables import WEARABLE_ENROLLMENTS_RAW, WEARABLE_READINGS_RAW
from healthcare_dataops.defs.silver.fhir import FHIR_INPUTS
from healthcare_dataops.defs.silver.wearables import WEARABLE_VITALS
from healthcare_dataops.lib.partitions import delivery_day_partitions
from healthcare_dataops.lib.silver_checks import (
    DAYS_BEHIND,
    UNKNOWN_PATIENT_FLAG,
    silver_batch,
    silver_checks,
)
from healthcare_dataops.lib.source_value_checks import wearable_value_monitor
from healthcare_dataops.quality import gx_table_checks
from healthcare_dataops.quality.expectations import (
    between,
    fresh,
    in_set,
    known_patients,
    not_null,
    schema,
    unique_key,
)
from healthcare_dataops.transforms import wearables

_FLAGS = (UNKNOWN_PATIENT_FLAG, DAYS_BEHIND)


def _enrollments_critical(context):
    return [
        *schema((*wearables.DEVICE_ENROLLMENTS.columns, *_FLAGS)),
        *not_null("device_id", "patient_id"),
        *unique_key("device_id"),
        *known_patients(UNKNOWN_PATIENT_FLAG),
    ]


def _readings_critical(context):
    measures = {row["measure"] for row in reference.read_rows("wearable_measures.csv")}
    return [
        *schema((*wearables.WEARABLE_READINGS.columns, *_FLAGS)),
        *not_null("device_id", "patient_id", "measure", "value", "measured_at", "measured_date"),
        *unique_key(*wearables.WEARABLE_READINGS.keys),
        *in_set("measure", measures),
        *known_patients(UNKNOWN_PATIENT_FLAG),
    ]


def _vitals_critical(context):
    return [
        *not_null("patient_id", "measured_date", "hour_start"),
        *unique_key("patient_id", "hour_start"),
        *between("heart_rate_mean", 20, 250),
        *between("spo2_min", 50, 100),
        *between("steps", 0, None),
        *between("sleep_minutes", 0, 1440),
        *known_patients(UNKNOWN_PATIENT_FLAG),
    ]


wearable_silver_checks = [
    *silver_checks(wearables.DEVICE_ENROLLMENTS, bronze_table=WEARABLE_ENROLLMENTS_RAW.name,
                   critical=_enrollments_critical, warnings=lambda context: [],
                   more_inputs=(FHIR_INPUTS[wearables.DEVICE_ENROLLMENTS.name],)),
    *silver_checks(wearables.WEARABLE_READINGS, bronze_table=WEARABLE_READINGS_RAW.name,
                   critical=_readings_critical, warnings=lambda context: fresh(DAYS_BEHIND),
                   also=[wearable_value_monitor()]),
    gx_table_checks(
        asset=WEARABLE_VITALS,
        table_name=WEARABLE_VITALS,
        batch=silver_batch(WEARABLE_VITALS, wearables.VITALS_COLUMNS, day_column="last_delivery_date",
                           partition_column="measured_date"),
        critical=_vitals_critical,
        warnings=lambda context: [*not_null("resting_heart_rate"), *fresh(DAYS_BEHIND)],
        example_columns_allowed={"patient_id", UNKNOWN_PATIENT_FLAG, DAYS_BEHIND},
        partitions_def=delivery_day_partitions,
    ),
]

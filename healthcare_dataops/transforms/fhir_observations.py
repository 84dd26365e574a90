"""Bronze FHIR Observation → ``lab_results`` (the laboratory category) or ``observations`` (vital
signs, survey, social history, and any other), and Device → ``device_enrollments``.

A laboratory result is conformed as the labs' HL7 results are: LOINC to one analyte, the value
in the analyte's canonical UCUM unit, the reference range converted with it, the
interpretation as the abnormal flag. Only numbers leave bronze: a ``valueString`` or
``valueCodeableConcept`` (free text, an address) is quarantined, never copied.
"""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from healthcare_dataops.lakehouse.silver_writer import DETAIL, REASON, detail
from healthcare_dataops.privacy import pseudonym, shift_timestamp
from healthcare_dataops.transforms import fhir_resources as fr
from healthcare_dataops.transforms.columns import reason
from healthcare_dataops.transforms.fhir_ehr import linked, mapped, resource_lineage, subject_rules, version_columns
from healthcare_dataops.transforms.fhir_resources import (
    CONCEPT,
    IDENTIFIER,
    PERIOD,
    QUANTITY,
    REFERENCE,
    S,
    element,
    fields,
    many,
)

LABORATORY = "laboratory"
_PERFORMER = fields(reference=S, display=S)
OBSERVATION = fields(
    status=S, category=many(CONCEPT), code=CONCEPT, subject=REFERENCE, encounter=REFERENCE, effectiveDateTime=S,
    effectivePeriod=PERIOD, issued=S, valueQuantity=QUANTITY, valueString=S, valueCodeableConcept=CONCEPT,
    interpretation=many(CONCEPT), referenceRange=many(fields(low=QUANTITY, high=QUANTITY)),
    performer=many(_PERFORMER), component=many(fields(code=CONCEPT)),
)
DEVICE = fields(patient=REFERENCE, serialNumber=S, identifier=many(IDENTIFIER), modelNumber=S,
                deviceName=many(fields(name=S)), type=CONCEPT)
# FHIR's observation status → HL7 v2's OBX-11 result status, as lab_results holds it.
RESULT_STATUSES = {"final": "F", "amended": "C", "corrected": "C", "preliminary": "P", "registered": "I",
                   "cancelled": "X", "entered-in-error": "W"}
NOT_NUMERIC = "not a numeric observation: free text is withheld from silver"


def _observed(rows: DataFrame) -> DataFrame:
    observed = fr.timestamp(element("effectiveDateTime"), element("effectivePeriod", "start"), element("issued"))
    quantity = element("valueQuantity")
    return rows.select(
        "*",
        observed.alias("_observed"),
        quantity.getField("value").alias("_value"),
        F.trim(F.coalesce(quantity.getField("code"), quantity.getField("unit"))).alias("_unit"),
        fr.code_of(element("code"), fr.LOINC).alias("_loinc"),
        fr.display_of(element("code"), fr.LOINC).alias("_loinc_text"),
        F.coalesce(F.size(element("component")), F.lit(-1)).alias("_components"),
    )


def _observation_rules() -> list:
    return [
        *subject_rules(),
        (F.col("_value").isNull() & (F.col("_components") > 0),
         "a panel of components: each component is not split into rows of its own"),
        (F.col("_value").isNull(), NOT_NUMERIC),
        (F.col("_observed").isNull(), "no effective or issued time"),
    ]


OBSERVATIONS_LINEAGE = resource_lineage("patient_id", "encounter_id", "category", "loinc_code", "description",
                                         "value", "unit", "observed_at")


def conform_observations(batch) -> DataFrame:
    rows = _observed(linked(batch, ("Observation",), OBSERVATION))
    return rows.select(
        "patient_id",
        pseudonym(fr.referenced_id(element("encounter"), "Encounter"), batch.key, "encounter").alias("encounter_id"),
        F.lower(fr.code_of(fr.first(element("category")))).alias("category"),
        F.col("_loinc").alias("loinc_code"),
        F.col("_loinc_text").alias("description"),
        F.col("_value").alias("value"),
        F.col("_unit").alias("unit"),
        shift_timestamp(F.col("_observed"), F.col("_shift")).alias("observed_at"),
        *fr.provenance(),
        *version_columns(),
        reason(*_observation_rules()).alias(REASON),
        # Not the value: a valueString may be an address.
        detail(loinc_code=F.col("_loinc"), category=fr.code_of(fr.first(element("category")))).alias(DETAIL),
    )


LAB_RESULTS_LINEAGE = resource_lineage(
    "patient_id", "lab", "analyte", "loinc_code", "loinc_text", "value", "unit", "value_as_delivered",
    "unit_as_delivered", "reference_low", "reference_high", "abnormal_flag", "result_status", "observed_at",
    "message_key", "obx_set_id")


def conform_lab_results(batch, analytes: DataFrame, conversions: DataFrame) -> DataFrame:
    rows = _observed(linked(batch, ("Observation",), OBSERVATION)).withColumn("loinc_code", F.col("_loinc"))
    rows = rows.join(analytes, on="loinc_code", how="left").join(
        conversions,
        on=(F.col("analyte") == F.col("conversion_analyte")) & (F.lower(F.col("_unit")) == F.col("from_unit_lower")),
        how="left",
    )
    convert = lambda c: c * F.col("multiply_by") + F.col("add")  # noqa: E731
    ranges = fr.first(element("referenceRange"))
    # An organisation that performed the test names the lab; a practitioner's name stays in bronze.
    lab = fr.first(F.filter(element("performer"), lambda p: p.getField("reference").startswith("Organization/")))
    return rows.select(
        "patient_id",
        lab.getField("display").alias("lab"),
        "analyte",
        "loinc_code",
        F.col("_loinc_text").alias("loinc_text"),
        convert(F.col("_value")).alias("value"),
        F.col("to_unit").alias("unit"),
        F.col("_value").alias("value_as_delivered"),
        F.col("_unit").alias("unit_as_delivered"),
        convert(ranges.getField("low").getField("value")).alias("reference_low"),
        convert(ranges.getField("high").getField("value")).alias("reference_high"),
        fr.code_of(fr.first(element("interpretation"))).alias("abnormal_flag"),
        mapped(F.lower(F.trim(element("status"))), RESULT_STATUSES).alias("result_status"),
        shift_timestamp(F.col("_observed"), F.col("_shift")).alias("observed_at"),
        pseudonym(F.col("resource_id"), batch.key, "observation").alias("message_key"),
        F.lit("1").alias("obx_set_id"),
        *fr.provenance(),
        *version_columns(),
        reason(
            *_observation_rules(),
            (F.col("loinc_code").isNull() | ~F.col("loinc_code").rlike(r"^[0-9]{1,7}-[0-9]\z"), "code is not LOINC"),
            (F.col("analyte").isNull(), "LOINC code has no analyte in the reference map"),
            (F.col("multiply_by").isNull(), "unit is not a known unit of the analyte"),
            (F.col("_value") < 0, "negative result for a concentration or count"),
            (F.col("resource_id").isNull(), "no Observation id"),
        ).alias(REASON),
        detail(loinc_code=F.col("loinc_code"), analyte=F.col("analyte"), unit=F.col("_unit"),
               result_status=element("status")).alias(DETAIL),
    )


ENROLLMENTS_LINEAGE = resource_lineage("device_id", "patient_id", "device_model", "enrolled_at")


def conform_enrollments(batch) -> DataFrame:
    """A Device that names a patient: which (pseudonymous) device is whose. FHIR records no
    enrollment time, so ``enrolled_at`` is empty."""
    rows = linked(batch, ("Device",), DEVICE, subject="patient")
    serial = F.coalesce(F.trim(element("serialNumber")), F.trim(fr.first(element("identifier")).getField("value")),
                        F.col("resource_id"))
    model = F.coalesce(element("modelNumber"), fr.first(element("deviceName")).getField("name"),
                       fr.display_of(element("type")))
    return rows.select(
        pseudonym(serial, batch.key, "device").alias("device_id"),
        "patient_id",
        F.trim(model).alias("device_model"),
        F.lit(None).cast("timestamp").alias("enrolled_at"),
        *fr.provenance(),
        *version_columns(),
        reason(
            (F.col(fr.VERSION_PROBLEM).isNotNull(), "deletes a resource bronze never received"),
            (element("patient").isNull(), "Device names no patient: not an enrollment"),
            (F.col("patient_id").isNull(), "patient is no Patient bronze holds (a dangling reference)"),
        ).alias(REASON),
        detail(device_model=F.trim(model)).alias(DETAIL),
    )

"""Bronze HL7 OBX rows → ``lab_results``: one analyte per concept, canonical units, no PHI."""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from healthcare_dataops.lakehouse.silver_writer import DETAIL, REASON, Lineage, SilverTable, detail
from healthcare_dataops.privacy import pseudonym, shift_days, shift_timestamp
from healthcare_dataops.transforms.columns import first_component, reason, to_double
from healthcare_dataops.transforms.timestamps import hl7_timestamp

# ASCII classes and \z, as in columns.NUMBER: Rust's \d and \s (Sail) also match Unicode
# digits and spaces (a no-break space in "3.9\u00a0-\u00a05.5"), Java's (JVM Spark) do not,
# and Java's $ also matches before a trailing line break ("70 - 99\n"), Rust's does not.
_SPACE = r"[ \t\n\x0B\f\r]"  # exactly Java's \s, and Rust's \s in ASCII mode
LOINC_CODE = r"^[0-9]{1,7}-[0-9]\z"
_NUMBER = r"(-?[0-9]+(?:\.[0-9]+)?)"
_RANGE = rf"^{_SPACE}*{_NUMBER}{_SPACE}*(?:-|to|_){_SPACE}*{_NUMBER}{_SPACE}*\z"
_UPPER = rf"^{_SPACE}*<=?{_SPACE}*{_NUMBER}{_SPACE}*\z"
_LOWER = rf"^{_SPACE}*>=?{_SPACE}*{_NUMBER}{_SPACE}*\z"

LAB_RESULTS = SilverTable(
    name="lab_results",
    columns=(
        "patient_id", "lab", "analyte", "loinc_code", "loinc_text", "value", "unit",
        "value_as_delivered", "unit_as_delivered", "reference_low", "reference_high",
        "abnormal_flag", "result_status", "observed_at", "message_key", "obx_set_id",
        "source_file_sha256", "source_position", "delivery_date",
    ),
    keys=("message_key", "obx_set_id", "loinc_code"),
)


# Column lineage (silver column → bronze OBX row columns): the analyte comes from the LOINC
# code, the canonical unit and value from the analyte's conversion of the delivered unit, and
# the observation time is shifted per patient.
_CONVERSION = ("observation_code", "units_code")
LAB_RESULTS_LINEAGE: Lineage = {
    "patient_id": ("patient_mrn",),
    "lab": ("sending_facility",),
    "analyte": ("observation_code",),
    "loinc_code": ("observation_code",),
    "loinc_text": ("observation_text",),
    "value": ("observation_value", "value_type", *_CONVERSION),
    "unit": _CONVERSION,
    "value_as_delivered": ("observation_value", "value_type"),
    "unit_as_delivered": ("units_code",),
    "reference_low": ("reference_range", *_CONVERSION),
    "reference_high": ("reference_range", *_CONVERSION),
    "abnormal_flag": ("abnormal_flags",),
    "result_status": ("result_status",),
    "observed_at": ("observation_datetime", "order_observation_datetime", "message_datetime", "patient_mrn"),
    "message_key": ("sending_facility", "message_control_id"),
    "obx_set_id": ("obx_set_id",),
    "source_file_sha256": ("source_file_sha256",),
    "source_position": ("source_message", "source_segment", "source_topic", "source_partition", "source_offset"),
    "delivery_date": ("delivery_date",),
}


def conform_lab_results(
    raw: DataFrame, analytes: DataFrame, conversions: DataFrame, key: bytes
) -> DataFrame:
    """Every bronze OBX row, conformed, with ``quarantine_reason`` where it cannot be used."""
    patient_id = pseudonym(F.col("patient_mrn"), key, "patient")
    lab = first_component(F.col("sending_facility"))
    value_type = F.upper(F.trim(F.col("value_type")))
    numeric_text = F.when(
        value_type == "SN",
        # Structured numeric: comparator^number. Only an exact value (no comparator) is a number.
        F.when(F.substring_index(F.col("observation_value"), "^", 1).isin("", "="),
               F.substring_index(F.col("observation_value"), "^", -1)),
    ).otherwise(F.col("observation_value"))
    rows = (
        raw.select(
            "*",
            patient_id.alias("patient_id"),
            lab.alias("lab"),
            F.trim(F.col("observation_code")).alias("loinc_code"),
            F.col("observation_text").alias("loinc_text"),
            to_double(numeric_text).alias("value_as_delivered"),
            F.trim(F.col("units_code")).alias("unit_as_delivered"),
            F.coalesce(
                hl7_timestamp(F.col("observation_datetime")),
                hl7_timestamp(F.col("order_observation_datetime")),
                hl7_timestamp(F.col("message_datetime")),
            ).alias("observed_utc"),
        )
        .join(analytes, on="loinc_code", how="left")
        .join(
            conversions,
            on=(F.col("analyte") == F.col("conversion_analyte"))
            & (F.lower(F.col("unit_as_delivered")) == F.col("from_unit_lower")),
            how="left",
        )
    )
    convert = lambda c: c * F.col("multiply_by") + F.col("add")  # noqa: E731
    rr = F.col("reference_range")
    low = F.when(rr.rlike(_RANGE), F.regexp_extract(rr, _RANGE, 1)).when(
        rr.rlike(_LOWER), F.regexp_extract(rr, _LOWER, 1)
    )
    high = F.when(rr.rlike(_RANGE), F.regexp_extract(rr, _RANGE, 2)).when(
        rr.rlike(_UPPER), F.regexp_extract(rr, _UPPER, 1)
    )
    return rows.select(
        "patient_id",
        "lab",
        "analyte",
        "loinc_code",
        "loinc_text",
        convert(F.col("value_as_delivered")).alias("value"),
        F.col("to_unit").alias("unit"),
        "value_as_delivered",
        "unit_as_delivered",
        convert(to_double(low)).alias("reference_low"),
        convert(to_double(high)).alias("reference_high"),
        first_component(F.col("abnormal_flags")).alias("abnormal_flag"),
        F.trim(F.col("result_status")).alias("result_status"),
        shift_timestamp(F.col("observed_utc"), shift_days(F.col("patient_id"), key)).alias("observed_at"),
        pseudonym(F.concat_ws("|", F.col("lab"), F.col("message_control_id")), key, "message").alias("message_key"),
        F.trim(F.col("obx_set_id")).alias("obx_set_id"),
        "source_file_sha256",
        _source_position(raw).alias("source_position"),
        "delivery_date",
        reason(
            (F.col("patient_id").isNull(), "no patient identifier in PID-3"),
            (~F.coalesce(F.col("loinc_code"), F.lit("")).rlike(LOINC_CODE), "OBX-3 is not a LOINC code"),
            (F.col("analyte").isNull(), "LOINC code has no analyte in the reference map"),
            (F.col("value_as_delivered").isNull(), "OBX-5 holds no numeric value"),
            (F.col("multiply_by").isNull(), "unit is not a known unit of the analyte"),
            (F.col("value_as_delivered") < 0, "negative result for a concentration or count"),
            (F.col("observed_utc").isNull(), "no valid observation time (OBX-14, OBR-7, MSH-7)"),
        ).alias(REASON),
        detail(
            loinc_code=F.col("loinc_code"),
            analyte=F.col("analyte"),
            unit=F.col("unit_as_delivered"),
            value_type=value_type,
            result_status=F.col("result_status"),
        ).alias(DETAIL),
    )


def _source_position(raw: DataFrame) -> F.Column:
    """Where the row's OBX sits: ``message 3, segment 5`` of its file, or, for a message
    received over MLLP, ``offset 1234 of labs.hl7v2/0, segment 5`` (silver names the record,
    as it names a file by its hash: bronze holds the rest)."""
    segment = [F.lit(", segment "), F.col("source_segment").cast("string")]
    in_file = F.concat(F.lit("message "), F.col("source_message").cast("string"), *segment)
    if "source_offset" not in raw.columns:  # a bronze table from before the stream columns
        return in_file
    on_topic = F.concat(
        F.lit("offset "), F.col("source_offset").cast("string"), F.lit(" of "), F.col("source_topic"),
        F.lit("/"), F.col("source_partition").cast("string"), *segment,
    )
    return F.when(F.col("source_offset").isNull(), in_file).otherwise(on_topic)

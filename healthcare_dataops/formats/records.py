"""What every parser yields, and the bronze columns each source table carries."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class ParsedRow:
    """One record as delivered: source values as text (None where absent).

    ``position`` locates it in its file: the 1-based line for CSV and JSON Lines, the 1-based
    element for JSON arrays and XML, and ``(message, segment)`` (both 1-based) for HL7.
    """

    values: dict[str, str | None]
    position: tuple[int, ...]


@dataclass(frozen=True)
class Rejected:
    """A record that could not be parsed at all, kept whole with the reason."""

    raw_text: str
    reason: str
    position: tuple[int, ...]
    detail: dict[str, str] = field(default_factory=dict)


ParseResult = ParsedRow | Rejected

# Synthea CSV columns by table, lower-cased, as the newest Synthea writes them; older
# exports (v3.0.0 lacks MIDDLE, FIPS and INCOME in patients and SYSTEM in conditions) are
# mapped by name and the missing columns stay null. PHONE is not a Synthea column, but
# hospital exports carry it, so it has a place of its own. Columns not listed here are kept
# in ``extra_columns`` as JSON, so nothing is lost.
EHR_COLUMNS: dict[str, tuple[str, ...]] = {
    "patients": (
        "id", "birthdate", "deathdate", "ssn", "drivers", "passport", "prefix", "first",
        "middle", "last", "suffix", "maiden", "marital", "race", "ethnicity", "gender",
        "birthplace", "address", "city", "state", "county", "fips", "zip", "lat", "lon",
        "phone", "healthcare_expenses", "healthcare_coverage", "income",
    ),
    "encounters": (
        "id", "start", "stop", "patient", "organization", "provider", "payer",
        "encounterclass", "code", "description", "base_encounter_cost", "total_claim_cost",
        "payer_coverage", "reasoncode", "reasondescription",
    ),
    "conditions": ("start", "stop", "patient", "encounter", "system", "code", "description"),
    "medications": (
        "start", "stop", "patient", "payer", "encounter", "code", "description", "base_cost",
        "payer_coverage", "dispenses", "totalcost", "reasoncode", "reasondescription",
    ),
    "observations": (
        "date", "patient", "encounter", "category", "code", "description", "value", "units",
        "type",
    ),
}

# The columns each EHR file must have for its rows to mean anything.
EHR_REQUIRED_COLUMNS: dict[str, tuple[str, ...]] = {
    "patients": ("id", "birthdate"),
    "encounters": ("id", "start", "patient", "encounterclass"),
    "conditions": ("start", "patient", "code"),
    "medications": ("start", "patient", "code"),
    "observations": ("date", "patient", "code", "value"),
}

ENROLLMENT_COLUMNS: tuple[str, ...] = (
    "device_id", "patient_mrn", "device_model", "enrolled_at",
)
ENROLLMENT_REQUIRED_COLUMNS: tuple[str, ...] = ("device_id", "patient_mrn")

# One row per OBX segment, with the message, patient and order context it sits in.
LAB_RESULT_COLUMNS: tuple[str, ...] = (
    "message_control_id", "message_type", "hl7_version", "sending_application",
    "sending_facility", "message_datetime",
    "patient_identifiers", "patient_mrn", "patient_name", "patient_birth_date", "patient_sex",
    "placer_order_number", "filler_order_number", "universal_service_id",
    "order_observation_datetime",
    "obx_set_id", "value_type", "observation_identifier", "observation_code",
    "observation_text", "coding_system", "observation_sub_id", "observation_value", "units",
    "units_code", "reference_range", "abnormal_flags", "result_status",
    "observation_datetime", "raw_segment",
)

# One row per wearable data point, from Open mHealth or Apple Health.
WEARABLE_READING_COLUMNS: tuple[str, ...] = (
    "device_id", "source_format", "data_point_id", "schema_namespace", "schema_name",
    "schema_version", "creation_date_time", "acquisition_source_name",
    "acquisition_modality", "measure", "value", "unit", "descriptive_statistic",
    "effective_date_time", "start_date_time", "end_date_time", "duration_value",
    "duration_unit", "raw_record",
)

# One row per FHIR resource (or bundle entry), its JSON as delivered, with what finds it again:
# type and id, version and lastUpdated, the bundle entry's request and fullUrl (urn:uuid
# references point at it), and an Observation's or Condition's category codes.
FHIR_RESOURCE_COLUMNS: tuple[str, ...] = (
    "resource_type", "resource_id", "version_id", "last_updated", "category_codes", "request_method",
    "request_url", "full_url", "bundle_type", "resource_json",
)

"""The EHR's FHIR export as a second feed of the silver tables its CSV export (and the labs'
HL7, the wearables' enrollments) feed: which resources each table takes, and how."""

from healthcare_dataops import reference
from healthcare_dataops.defs.bronze.fhir import FHIR_RESOURCES
from healthcare_dataops.lib.silver_assets import BronzeRows, SilverInput
from healthcare_dataops.transforms import fhir_ehr, fhir_observations

FHIR_TABLE = FHIR_RESOURCES.name


def _input(conform, lineage, *resource_types: str, laboratory: bool | None = None) -> SilverInput:
    category = None if laboratory is None else fhir_observations.LABORATORY
    rows = BronzeRows(resource_types, category=category, has_category=bool(laboratory))
    return SilverInput(FHIR_TABLE, conform, lineage, rows)


FHIR_INPUTS = {
    "patients": _input(fhir_ehr.conform_patients, fhir_ehr.PATIENTS_LINEAGE, "Patient"),
    "encounters": _input(fhir_ehr.conform_encounters, fhir_ehr.ENCOUNTERS_LINEAGE, "Encounter"),
    "conditions": _input(fhir_ehr.conform_conditions, fhir_ehr.CONDITIONS_LINEAGE, "Condition"),
    "medications": _input(fhir_ehr.conform_medications, fhir_ehr.MEDICATIONS_LINEAGE, *fhir_ehr.MEDICATION_TYPES),
    "observations": _input(fhir_observations.conform_observations, fhir_observations.OBSERVATIONS_LINEAGE,
                           "Observation", laboratory=False),
    "lab_results": _input(
        lambda batch: fhir_observations.conform_lab_results(
            batch, reference.lab_analytes(batch.session), reference.lab_unit_conversions(batch.session)),
        fhir_observations.LAB_RESULTS_LINEAGE, "Observation", laboratory=True),
    "device_enrollments": _input(fhir_observations.conform_enrollments, fhir_observations.ENROLLMENTS_LINEAGE,
                                 "Device"),
}

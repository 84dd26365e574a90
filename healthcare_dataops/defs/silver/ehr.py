"""Silver EHR tables: de-identified patients, encounters, conditions, medications, observations,
from the EHR's CSV export and its FHIR export alike."""

from healthcare_dataops import landing_layout as layout
from healthcare_dataops.defs.bronze.ehr import EHR_BRONZE_TABLES
from healthcare_dataops.defs.silver.fhir import FHIR_INPUTS
from healthcare_dataops.lib.silver_assets import SilverBuild, silver_multi_asset
from healthcare_dataops.transforms import ehr


def _ignoring_session(conform):
    return lambda batch: conform(batch.raw, batch.key)


EHR_SILVER_BUILDS = [
    SilverBuild(
        ehr.PATIENTS, EHR_BRONZE_TABLES["patients"].name, layout.EHR,
        _ignoring_session(ehr.conform_patients),
        "One row per patient: pseudonymous id, sex, birth year (none for 90+), age band, "
        "race, ethnicity, state, ZIP3 (restricted ZIP3s as 000). The newest export wins.",
        needs_known_patient=False,
        lineage=ehr.PATIENTS_LINEAGE,
        more_inputs=(FHIR_INPUTS[ehr.PATIENTS.name],),
    ),
    SilverBuild(
        ehr.ENCOUNTERS, EHR_BRONZE_TABLES["encounters"].name, layout.EHR,
        _ignoring_session(ehr.conform_encounters),
        "One row per encounter: class, code, UTC start/end shifted per patient, length of stay.",
        lineage=ehr.ENCOUNTERS_LINEAGE,
        more_inputs=(FHIR_INPUTS[ehr.ENCOUNTERS.name],),
    ),
    SilverBuild(
        ehr.CONDITIONS, EHR_BRONZE_TABLES["conditions"].name, layout.EHR,
        _ignoring_session(ehr.conform_conditions),
        "Diagnoses (SNOMED CT) with onset and resolution dates shifted per patient.",
        lineage=ehr.CONDITIONS_LINEAGE,
        more_inputs=(FHIR_INPUTS[ehr.CONDITIONS.name],),
    ),
    SilverBuild(
        ehr.MEDICATIONS, EHR_BRONZE_TABLES["medications"].name, layout.EHR,
        _ignoring_session(ehr.conform_medications),
        "Medication orders (RxNorm) with start/stop times shifted per patient.",
        lineage=ehr.MEDICATIONS_LINEAGE,
        more_inputs=(FHIR_INPUTS[ehr.MEDICATIONS.name],),
    ),
    SilverBuild(
        ehr.OBSERVATIONS, EHR_BRONZE_TABLES["observations"].name, layout.EHR,
        _ignoring_session(ehr.conform_observations),
        "Numeric observations (LOINC vital signs and in-house labs); free-text answers, which "
        "can hold addresses, stay in bronze.",
        lineage=ehr.OBSERVATIONS_LINEAGE,
        more_inputs=(FHIR_INPUTS[ehr.OBSERVATIONS.name],),
    ),
]

ehr_silver_assets = [silver_multi_asset(build) for build in EHR_SILVER_BUILDS]

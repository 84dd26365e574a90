"""Silver lab results: conformed analytes and units, de-identified, one row per result."""

from healthcare_dataops import landing_layout as layout
from healthcare_dataops import reference
from healthcare_dataops.defs.bronze.labs import LAB_RESULTS_RAW
from healthcare_dataops.defs.silver.fhir import FHIR_INPUTS
from healthcare_dataops.lib.silver_assets import SilverBuild, silver_multi_asset
from healthcare_dataops.transforms.labs import LAB_RESULTS, LAB_RESULTS_LINEAGE, conform_lab_results


def _conform(batch):
    return conform_lab_results(
        batch.raw,
        reference.lab_analytes(batch.session),
        reference.lab_unit_conversions(batch.session),
        batch.key,
    )


LAB_SILVER_BUILD = SilverBuild(
    LAB_RESULTS, LAB_RESULTS_RAW.name, layout.LABS, _conform,
    "One row per lab result: LOINC mapped to one analyte per concept, value in the analyte's "
    "canonical UCUM unit, parsed reference range, abnormal flag, UTC observation time shifted "
    "per patient; pseudonymous patient and message ids.",
    lineage=LAB_RESULTS_LINEAGE,
    # The EHR's FHIR laboratory Observations, beside the outside labs' HL7.
    more_inputs=(FHIR_INPUTS[LAB_RESULTS.name],),
)

lab_results_silver = silver_multi_asset(LAB_SILVER_BUILD)

"""GX suites of ``patient_features``."""

import pyarrow as pa
from deltalake import DeltaTable

from healthcare_dataops.defs.gold.patient_features import PATIENT_FEATURES
from healthcare_dataops.quality import gx_table_checks
from healthcare_dataops.quality.delta_check_batch import DeltaCheckBatch, DerivedColumn
from healthcare_dataops.quality.expectations import gxe, in_set, not_null, unique_key
from healthcare_dataops.resources import LakehouseResource
from healthcare_dataops.transforms import features
from healthcare_dataops.transforms.readmission_cohort import COHORT_EXCLUSIONS

IDENTITY = ("encounter_id", "patient_id", "admitted_at", "discharged_at", "sex", "age_band")
COMPLETE_LABEL = "complete_label"
# Readmission within 30 days runs at roughly 5-30% in real hospitals; outside a generous band
# around that, the label logic or the feeds are broken.
PREVALENCE_BAND = (0.01, 0.6)


def features_batch(context, lakehouse: LakehouseResource) -> DeltaCheckBatch:
    """The whole feature table, one chunk: it is rebuilt whole on every run, and small."""
    uri = lakehouse.table_uri("gold", PATIENT_FEATURES)
    columns = tuple(_columns(lakehouse))
    complete = DerivedColumn((features.LABEL, "label_complete"),
                             lambda frame: frame[features.LABEL].where(frame["label_complete"]))
    return DeltaCheckBatch(uri=uri, table_columns=columns, days=None, day_column=None,
                           derived={COMPLETE_LABEL: complete})


def _columns(lakehouse: LakehouseResource) -> list[str]:
    # The names from the Delta log: no data is read to know them.
    uri = lakehouse.table_uri("gold", PATIENT_FEATURES)
    return pa.schema(DeltaTable(uri, storage_options=lakehouse.storage_options()).schema().to_arrow()).names


def _feature_columns(frame_columns) -> list[str]:
    """The model's features the table has (not the outcome, cohort and baseline columns)."""
    return [c for c in frame_columns if c in features.FEATURES and c not in IDENTITY]


def _critical(context):
    return [
        *not_null("encounter_id", "patient_id", "discharged_at", "label_complete"),
        *unique_key("encounter_id"),
        *in_set(features.LABEL, {0, 1}),
        *in_set("cohort_exclusion", set(COHORT_EXCLUSIONS)),
    ]


def _warnings(context, lakehouse: LakehouseResource):
    return [
        gxe().ExpectColumnMeanToBeBetween(
            column=COMPLETE_LABEL, min_value=PREVALENCE_BAND[0], max_value=PREVALENCE_BAND[1]
        ),
        # A feature with one value, or none at all, carries no signal: something upstream broke.
        *[gxe().ExpectColumnUniqueValueCountToBeBetween(column=c, min_value=2)
          for c in _feature_columns(_columns(lakehouse))],
    ]


patient_features_checks = gx_table_checks(
    asset=PATIENT_FEATURES,
    table_name=PATIENT_FEATURES,
    batch=features_batch,
    critical=_critical,
    warnings=_warnings,
    example_columns_allowed={"encounter_id", "patient_id", features.LABEL, COMPLETE_LABEL},
)

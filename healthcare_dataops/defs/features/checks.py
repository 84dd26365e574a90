"""GX suites of ``patient_features``."""

import pandas
import pyarrow as pa

from healthcare_dataops.defs.features.assets import PATIENT_FEATURES
from healthcare_dataops.quality import gx_asset_checks
from healthcare_dataops.quality.expectations import gxe, in_set, not_null, unique_key
from healthcare_dataops.resources import LakehouseResource
from healthcare_dataops.transforms import features

IDENTITY = ("encounter_id", "patient_id", "admitted_at", "discharged_at", "sex", "age_band")
COMPLETE_LABEL = "complete_label"
# Readmission within 30 days runs at roughly 5-30% in real hospitals; outside a generous band
# around that, the label logic or the feeds are broken.
PREVALENCE_BAND = (0.01, 0.6)


def load_features(context, lakehouse: LakehouseResource) -> pandas.DataFrame:
    from deltalake import DeltaTable

    uri = lakehouse.table_uri("gold", PATIENT_FEATURES)
    frame = DeltaTable(uri, storage_options=lakehouse.storage_options()).to_pandas()
    frame[COMPLETE_LABEL] = frame[features.LABEL].where(frame["label_complete"])
    return frame


def _feature_columns(frame_columns) -> list[str]:
    return [c for c in frame_columns if c not in (*IDENTITY, features.LABEL, "label_complete", COMPLETE_LABEL)]


def _critical(context):
    return [
        *not_null("encounter_id", "patient_id", "discharged_at", "label_complete"),
        *unique_key("encounter_id"),
        *in_set(features.LABEL, {0, 1}),
    ]


def _warnings(context, lakehouse: LakehouseResource):
    from deltalake import DeltaTable

    # The names from the Delta log: the check's batch is loaded once, by load_features.
    uri = lakehouse.table_uri("gold", PATIENT_FEATURES)
    columns = pa.schema(DeltaTable(uri, storage_options=lakehouse.storage_options()).schema().to_arrow()).names
    return [
        gxe().ExpectColumnMeanToBeBetween(
            column=COMPLETE_LABEL, min_value=PREVALENCE_BAND[0], max_value=PREVALENCE_BAND[1]
        ),
        # A feature with one value, or none at all, carries no signal: something upstream broke.
        *[gxe().ExpectColumnUniqueValueCountToBeBetween(column=c, min_value=2) for c in _feature_columns(columns)],
    ]


patient_features_checks = gx_asset_checks(
    asset=PATIENT_FEATURES,
    table_name=PATIENT_FEATURES,
    load_batch=load_features,
    critical=_critical,
    warnings=_warnings,
    example_columns_allowed={"encounter_id", "patient_id", features.LABEL, COMPLETE_LABEL},
)

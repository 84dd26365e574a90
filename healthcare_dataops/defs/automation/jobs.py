"""The daily pipeline: one delivery day through bronze, silver, gold and the drift report.

The model's assets are left out: training daily on a few more admissions buys nothing, and
retraining is decided by the drift sensor and the weekly schedule (``retrain_job``).
"""

import dagster as dg

from healthcare_dataops.defs.monitoring.feature_drift_report import FEATURE_DRIFT_REPORT
from healthcare_dataops.lib.asset_specs import BRONZE, GOLD, SILVER
from healthcare_dataops.lib.retries import IO_RETRY_POLICY

DAILY_PIPELINE_SELECTION = dg.AssetSelection.groups(BRONZE, SILVER, GOLD) | dg.AssetSelection.assets(
    # Its key, not the asset: a definition imported here would be loaded twice from defs/.
    FEATURE_DRIFT_REPORT
)

# Partitioned by delivery day: Dagster infers it from the assets (1.13 deprecates passing it).
daily_pipeline_job = dg.define_asset_job(
    "daily_pipeline_job",
    selection=DAILY_PIPELINE_SELECTION,
    op_retry_policy=IO_RETRY_POLICY,
    description="One delivery day from the landing zone to patient_features, checks included, "
    "and the feature drift report.",
)

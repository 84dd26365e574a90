"""``retrain_job``: a new model version, then today's scores from whichever version is champion."""

import dagster as dg

from healthcare_dataops.defs.model.risk_model import RISK_MODEL
from healthcare_dataops.defs.scores.patient_risk_scores import PATIENT_RISK_SCORES
from healthcare_dataops.lib.retries import IO_RETRY_POLICY

# No partitions_def: Dagster 1.13 deprecates it on asset jobs and infers it from the selected
# assets, both on delivery_day_partitions (the tests check the resolved job has them).
retrain_job = dg.define_asset_job(
    "retrain_job",
    selection=dg.AssetSelection.assets(RISK_MODEL, PATIENT_RISK_SCORES),
    op_retry_policy=IO_RETRY_POLICY,
    description="Retrain the readmission model on the current patient_features (the gate still "
    "decides whether it becomes champion) and rescore the open stays. Requested by "
    "feature_drift_sensor when the champion's inputs have drifted.",
)

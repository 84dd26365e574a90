"""Assembles the project's Definitions; every definition lives in ``defs/``."""

import dagster as dg

from healthcare_dataops.defs.automation.jobs import daily_pipeline_job
from healthcare_dataops.defs.automation.landing_zone_sensor import landing_zone_sensor
from healthcare_dataops.defs.automation.run_failure_sensor import run_failure_sensor
from healthcare_dataops.defs.automation.schedules import (
    daily_pipeline_schedule,
    weekly_retrain_schedule,
)
from healthcare_dataops.defs.ehr.bronze import ehr_bronze
from healthcare_dataops.defs.ehr.checks import ehr_silver_checks
from healthcare_dataops.defs.ehr.silver import ehr_silver_assets
from healthcare_dataops.defs.features.assets import patient_features
from healthcare_dataops.defs.features.checks import patient_features_checks
from healthcare_dataops.defs.labs.bronze import lab_bronze
from healthcare_dataops.defs.labs.checks import lab_silver_checks
from healthcare_dataops.defs.labs.silver import lab_results_silver
from healthcare_dataops.defs.ml.patient_risk_scores import patient_risk_scores
from healthcare_dataops.defs.ml.risk_model import risk_model
from healthcare_dataops.defs.monitoring.feature_drift_report import feature_drift_report
from healthcare_dataops.defs.monitoring.feature_drift_sensor import feature_drift_sensor
from healthcare_dataops.defs.monitoring.jobs import retrain_job
from healthcare_dataops.defs.upkeep.jobs import lakehouse_upkeep_job
from healthcare_dataops.defs.upkeep.schedules import lakehouse_upkeep_schedule
from healthcare_dataops.defs.wearables.bronze import wearable_bronze
from healthcare_dataops.defs.wearables.checks import wearable_silver_checks
from healthcare_dataops.defs.wearables.silver import (
    device_enrollments_silver,
    wearable_readings_silver,
    wearable_vitals,
)
from healthcare_dataops.resources import build_resources

defs = dg.Definitions(
    assets=[
        ehr_bronze,
        lab_bronze,
        wearable_bronze,
        *ehr_silver_assets,
        lab_results_silver,
        device_enrollments_silver,
        wearable_readings_silver,
        wearable_vitals,
        patient_features,
        risk_model,
        patient_risk_scores,
        feature_drift_report,
    ],
    asset_checks=[
        *ehr_silver_checks,
        *lab_silver_checks,
        *wearable_silver_checks,
        patient_features_checks,
    ],
    jobs=[daily_pipeline_job, retrain_job, lakehouse_upkeep_job],
    schedules=[daily_pipeline_schedule, weekly_retrain_schedule, lakehouse_upkeep_schedule],
    sensors=[landing_zone_sensor, feature_drift_sensor, run_failure_sensor],
    resources=build_resources(),
    # Every step of a run shares one process, and so one Spark engine session: starting an
    # engine per step would cost more than most steps do.
    executor=dg.in_process_executor,
)

"""Assembles the project's Definitions; every definition lives in ``defs/``."""

from __future__ import annotations

import dagster as dg

from healthcare_dataops.defs.ehr.bronze import ehr_bronze
from healthcare_dataops.defs.labs.bronze import lab_bronze
from healthcare_dataops.defs.wearables.bronze import wearable_bronze
from healthcare_dataops.resources import build_resources

defs = dg.Definitions(
    assets=[ehr_bronze, lab_bronze, wearable_bronze],
    resources=build_resources(),
)

"""The code location test_pools_serialize_writers.py serves: the project's Definitions as they
are (assets, checks, resources, in-process executor, sensors and schedules) and one small job
over EHR bronze and silver, so that runs of it contend on the pools ``bronze_ehr_tables`` and
``silver_ehr_tables`` without the cost of the whole graph.
"""

import dagster as dg

from healthcare_dataops import definitions as project
from healthcare_dataops.defs.bronze.ehr import ehr_bronze
from healthcare_dataops.defs.silver.ehr import ehr_silver_assets

JOB = "ehr_to_silver_job"

# Partitioned by delivery day (inferred from the assets); the selected assets' checks come with
# them, as in the daily pipeline. Selected by key: the project's Definitions hold these assets
# with its policies applied.
ehr_to_silver_job = dg.define_asset_job(JOB, selection=dg.AssetSelection.assets(ehr_bronze, *ehr_silver_assets))

# The project's module, not its Definitions, at module scope: Dagster loads the one Definitions there.
defs = dg.Definitions.merge(project.defs, dg.Definitions(jobs=[ehr_to_silver_job]))

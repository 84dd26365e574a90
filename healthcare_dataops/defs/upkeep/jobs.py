"""``lakehouse_upkeep_job``: the versions model lineage names, then compaction and vacuum."""

import dagster as dg

from healthcare_dataops.defs.automation.jobs import daily_pipeline_job
from healthcare_dataops.defs.retries import IO_RETRY_POLICY
from healthcare_dataops.defs.run_tags import run_exclusively
from healthcare_dataops.defs.upkeep.ops import model_lineage_versions, upkeep_lakehouse_tables


# The daily pipeline's exclusivity value: compaction rewrites the files its MERGEs read, so the
# production queue never runs the two at once (Delta's retries would survive it, at a cost).
@dg.job(
    tags=run_exclusively(daily_pipeline_job.name),
    op_retry_policy=IO_RETRY_POLICY,
    description="Compacts every Delta table of the lakehouse and vacuums the files older than the "
    "retention (7 days by default), never those of a patient_features version that a registered "
    "model version holding an alias was trained on.",
)
def lakehouse_upkeep_job():
    upkeep_lakehouse_tables(model_lineage_versions())

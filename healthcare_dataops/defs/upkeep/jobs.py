"""``lakehouse_upkeep_job``: the versions model lineage names, then compaction and vacuum."""

import dagster as dg

from healthcare_dataops.defs.upkeep.ops import model_lineage_versions, upkeep_lakehouse_tables
from healthcare_dataops.lib.retries import IO_RETRY_POLICY


@dg.job(
    op_retry_policy=IO_RETRY_POLICY,
    description="Compacts every Delta table of the lakehouse and vacuums the files older than the "
    "retention (7 days by default), never those of a patient_features version that a registered "
    "model version holding an alias was trained on.",
)
def lakehouse_upkeep_job():
    upkeep_lakehouse_tables(model_lineage_versions())

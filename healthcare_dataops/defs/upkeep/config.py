"""Run config of ``lakehouse_upkeep_job``: how long removed files stay, and what is timed."""

import dagster as dg
from pydantic import Field


class LakehouseUpkeepConfig(dg.Config):
    retention_hours: int = Field(
        168, ge=0,
        description="Files a commit removed stay this long, so readers of older snapshots and "
        "time travel inside the window keep working. Versions a model's lineage names are "
        "kept whatever their age.",
    )
    enforce_retention_duration: bool = Field(
        True,
        description="Refuse a retention shorter than a table's delta.deletedFileRetentionDuration "
        "(7 days unless the table sets it).",
    )
    full_vacuum: bool = Field(
        True,
        description="Also delete files no commit names (left by a crashed writer) once older than "
        "the retention, as Delta Spark's VACUUM does; false: only files a commit removed.",
    )
    time_reads: bool = Field(
        True,
        description="Time a full read of each table's current snapshot before and after: one "
        "extra scan of every table each, to show what compaction bought.",
    )

"""FHIR R4 deliveries read on the engine: every record validated on the engine's Python workers.

Validation against the R4 models is Python work per resource, so no engine reader can prove a
record valid on its own: every record is handed to the reference parser
(``formats/fhir.parse_record``), which runs in ``mapInArrow`` on the engine's workers, as many
at once as the engine runs tasks, never on the Dagster worker. A bundle is one record of many
resources; files named ``.json`` are read whole (``landing_lines.read_lines_and_documents``).
"""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from healthcare_dataops.formats.fhir import parse_record
from healthcare_dataops.formats.records import FHIR_RESOURCE_COLUMNS
from healthcare_dataops.lakehouse import landing_lines
from healthcare_dataops.lakehouse.bronze_engine import ENGINE_READ, EngineLineFormat


def hand_every_record_over(records: DataFrame) -> DataFrame:
    """The records with the table's columns empty and ``ENGINE_READ`` false: all to the reference."""
    return records.select(
        "*",
        *[F.lit(None).cast("string").alias(column) for column in FHIR_RESOURCE_COLUMNS],
        F.lit(None).cast("long").alias("source_entry"),
        F.lit(False).alias(ENGINE_READ),
    )


FHIR_RECORDS = EngineLineFormat(
    read=hand_every_record_over, reference=parse_record, split=landing_lines.read_lines_and_documents
)

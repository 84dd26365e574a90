"""Bronze FHIR: the EHR's FHIR R4 export (Bulk Data NDJSON, bundles), a row per resource."""

import dagster as dg

from healthcare_dataops import landing_layout as layout
from healthcare_dataops.formats.fhir import parse_fhir
from healthcare_dataops.formats.records import FHIR_RESOURCE_COLUMNS
from healthcare_dataops.formats.unrecognised import reject_whole_file
from healthcare_dataops.lakehouse.bronze_records import PARTITION_COLUMN
from healthcare_dataops.lakehouse.bronze_writer import BronzeTable, BronzeWriter, Delivery
from healthcare_dataops.lakehouse.metadata import bronze_result, quarantine_result
from healthcare_dataops.lib.asset_specs import BRONZE, bronze_spec, daily_table_writer
from healthcare_dataops.resources import LakehouseResource, LandingZoneResource, SparkResource
from healthcare_dataops.transforms.fhir_records import FHIR_RECORDS

FHIR_QUARANTINE = "fhir_bronze_quarantine"

FHIR_RESOURCES = BronzeTable(
    name="fhir_resources",
    columns=FHIR_RESOURCE_COLUMNS,
    position_columns=("source_record", "source_entry"),
    preview_columns=("resource_type", "bundle_type", "request_method", "category_codes"),
    # Each silver table reads the resource types it maps, and only their files.
    partition_by=(PARTITION_COLUMN, "resource_type"),
)


def _delivery(day: str, file) -> Delivery:
    name = file.name.lower()
    if name.endswith(layout.FHIR_LINE_SUFFIXES + layout.FHIR_DOCUMENT_SUFFIXES):
        return Delivery(day, file, lambda stream, f: parse_fhir(stream, file_name=f.name), on_engine=FHIR_RECORDS)
    accepted = ", ".join(layout.FHIR_LINE_SUFFIXES + layout.FHIR_DOCUMENT_SUFFIXES)
    reason = f"not a FHIR file: the FHIR feed delivers {accepted}"
    return Delivery(day, file, lambda stream, _file: reject_whole_file(stream, reason=reason))


@dg.multi_asset(
    specs=[
        bronze_spec(
            FHIR_RESOURCES.name,
            source=layout.FHIR,
            on_engine=True,
            description="One row per FHIR R4 resource of the EHR's Bulk Data export and bundles "
            "(Patient, Encounter, Condition, MedicationRequest, Observation, Device, ...), its JSON as "
            "delivered, validated against the R4 models on the engine, with type, id, lastUpdated, "
            "the bundle entry's request and file, line and entry. Holds PHI: only silver and later "
            "are de-identified.",
        ),
        bronze_spec(
            FHIR_QUARANTINE,
            source=layout.FHIR,
            description="FHIR records that are not JSON or not valid R4 resources, raw text, reason "
            "and the validator's message.",
        ),
    ],
    **daily_table_writer(BRONZE, layout.FHIR),
)
def fhir_bronze(
    context: dg.AssetExecutionContext,
    landing_zone: LandingZoneResource,
    lakehouse: LakehouseResource,
    spark: SparkResource,
):
    writer = BronzeWriter(lakehouse, landing_zone, FHIR_QUARANTINE, spark=spark.spark_session,
                          engine_parallelism=spark.parallelism, progress=context.log.info)
    deliveries = [_delivery(day, file) for day in context.partition_keys
                  for file in landing_zone.files(layout.FHIR, day)]
    yield bronze_result(context, writer.ingest(FHIR_RESOURCES, context.partition_keys, deliveries),
                        lakehouse=lakehouse)
    yield quarantine_result(context, FHIR_QUARANTINE, writer.commit_quarantine(), lakehouse=lakehouse)

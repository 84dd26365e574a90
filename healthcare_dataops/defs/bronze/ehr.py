"""Bronze EHR tables: the hospital's Synthea-format CSV exports, row for row."""

import dagster as dg

from healthcare_dataops import landing_layout as layout
from healthcare_dataops.formats.records import EHR_COLUMNS
from healthcare_dataops.formats.synthea_csv import parse_synthea_csv
from healthcare_dataops.lakehouse.bronze_writer import BronzeTable, BronzeWriter, Delivery
from healthcare_dataops.lakehouse.metadata import bronze_result, quarantine_result
from healthcare_dataops.lib.asset_specs import BRONZE, bronze_spec, daily_table_writer
from healthcare_dataops.resources import LakehouseResource, LandingZoneResource

EHR_QUARANTINE = "ehr_bronze_quarantine"

_PREVIEW_COLUMNS = {
    "patients": ("gender", "race", "ethnicity", "marital", "state"),
    "encounters": ("encounterclass", "code", "description"),
    "conditions": ("system", "code", "description"),
    "medications": ("code", "description", "dispenses"),
    # Not VALUE: Synthea's SDOH observations hold free text such as a street address.
    "observations": ("category", "code", "description", "units", "type"),
}

EHR_BRONZE_TABLES = {
    name: BronzeTable(
        name=f"ehr_{name}",
        columns=(*EHR_COLUMNS[name], "extra_columns"),
        preview_columns=_PREVIEW_COLUMNS[name],
    )
    for name in layout.EHR_TABLES
}


def _parser_for(table: str):
    return lambda stream, _file: parse_synthea_csv(stream, table)


@dg.multi_asset(
    specs=[
        *(
            bronze_spec(
                table.name,
                source=layout.EHR,
                description=f"EHR {name}.csv rows as delivered (text), with file, line and "
                "ingestion time. Holds PHI: only silver and later are de-identified.",
            )
            for name, table in EHR_BRONZE_TABLES.items()
        ),
        bronze_spec(
            EHR_QUARANTINE,
            source=layout.EHR,
            description="EHR CSV records that could not be parsed, raw text and reason.",
        ),
    ],
    **daily_table_writer(BRONZE, layout.EHR),
)
def ehr_bronze(
    context: dg.AssetExecutionContext,
    landing_zone: LandingZoneResource,
    lakehouse: LakehouseResource,
):
    writer = BronzeWriter(lakehouse, landing_zone, EHR_QUARANTINE, progress=context.log.info)
    delivered = {
        day: landing_zone.files(layout.EHR, day) for day in context.partition_keys
    }
    expected_names = {f"{name}.csv" for name in EHR_BRONZE_TABLES}
    for day, files in delivered.items():
        not_ingested = [f.relative_path for f in files if f.name not in expected_names]
        if not_ingested:
            # Other Synthea tables (allergies, careplans, ...) stay in the landing zone, on record.
            context.log.warning(f"{len(not_ingested)} EHR files of {day} are not ingested: {not_ingested}")
            context.add_asset_metadata(
                {"files_not_ingested": dg.MetadataValue.json(not_ingested)},
                asset_key=EHR_BRONZE_TABLES["patients"].name,
                partition_key=day,
            )
    for name, table in EHR_BRONZE_TABLES.items():
        deliveries = [
            Delivery(day, file, _parser_for(name))
            for day, files in delivered.items()
            for file in files
            if file.name == f"{name}.csv"
        ]
        yield bronze_result(context, writer.ingest(table, context.partition_keys, deliveries), lakehouse=lakehouse)
    yield quarantine_result(context, EHR_QUARANTINE, writer.commit_quarantine(), lakehouse=lakehouse)

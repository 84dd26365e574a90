"""Bronze wearable data: Open mHealth and Apple Health readings, and device enrollments.

Readings come two ways into one table: the day's files (the daily runs), or a micro-batch of
the wearables topic, where platforms publish one Open mHealth data point a record, keyed by
device (``wearable_stream_job``, config ``read_topic``). Both parse a data point with
``parse_line``. A micro-batch brings no enrollments (those come as files): it skips that
asset, and the readings of devices not yet enrolled wait in silver's quarantine as from files.
"""

import dagster as dg

from healthcare_dataops import landing_layout as layout
from healthcare_dataops.formats.apple_health import parse_apple_health
from healthcare_dataops.formats.openmhealth import parse_line, parse_openmhealth
from healthcare_dataops.formats.records import ENROLLMENT_COLUMNS, WEARABLE_READING_COLUMNS
from healthcare_dataops.formats.synthea_csv import parse_enrollment_csv
from healthcare_dataops.formats.unrecognised import reject_whole_file
from healthcare_dataops.lakehouse.bronze_writer import BronzeTable, BronzeWriter, Delivery
from healthcare_dataops.lakehouse.metadata import bronze_result, quarantine_result
from healthcare_dataops.lib.asset_specs import BRONZE, bronze_spec, daily_table_writer
from healthcare_dataops.lib.stream_micro_batch import (
    TopicBatchConfig,
    ingest_micro_batch,
    stream_results,
    stream_target,
)
from healthcare_dataops.resources import LakehouseResource, LandingZoneResource, SparkResource
from healthcare_dataops.resources.kafka import KafkaResource
from healthcare_dataops.resources.landing_zone import LandingFile
from healthcare_dataops.streaming.topics import WEARABLES_TOPIC
from healthcare_dataops.transforms.openmhealth_lines import OPENMHEALTH_LINES

WEARABLE_QUARANTINE = "wearable_bronze_quarantine"

WEARABLE_READINGS_RAW = BronzeTable(
    name="wearable_readings_raw",
    columns=WEARABLE_READING_COLUMNS,
    position_columns=("source_record",),
    preview_columns=("source_format", "schema_name", "measure", "value", "unit"),
    file_names_in_metadata=False,
    streamed=True,
)
WEARABLE_ENROLLMENTS_RAW = BronzeTable(
    name="wearable_enrollments_raw",
    columns=(*ENROLLMENT_COLUMNS, "extra_columns"),
    preview_columns=("device_model",),
)


def parse_wearable_record(value: bytes):
    """One record of the wearables topic: one Open mHealth data point."""
    result = parse_line(value, 1)
    return [] if result is None else [result]


def _apple_health(stream, file: LandingFile):
    # An Apple Health export carries no device id of its own: it is named after the device.
    return parse_apple_health(stream, device_id=file.name.split(".", 1)[0])


def _reading_delivery(day: str, file: LandingFile) -> Delivery:
    """Data points a line are read on the engine; documents and Apple Health XML in Python."""
    parse = _reading_parser_for(file.name)
    lines = file.name.lower().endswith(layout.OPENMHEALTH_LINE_SUFFIXES)
    return Delivery(day, file, parse, on_engine=OPENMHEALTH_LINES if lines else None)


def _reading_parser_for(file_name: str):
    name = file_name.lower()
    if name.endswith(layout.OPENMHEALTH_SUFFIXES):
        return lambda stream, file: parse_openmhealth(stream, file_name=file.name)
    if name.endswith(layout.APPLE_HEALTH_SUFFIXES):
        return _apple_health
    accepted = ", ".join(layout.OPENMHEALTH_SUFFIXES + layout.APPLE_HEALTH_SUFFIXES)
    reason = f"not a wearable data file: wearables deliver {accepted} or {layout.ENROLLMENT_FILE_NAME}"
    return lambda stream, _file: reject_whole_file(stream, reason=reason)


@dg.multi_asset(
    specs=[
        bronze_spec(
            WEARABLE_READINGS_RAW.name,
            source=layout.WEARABLES,
            on_engine=True,
            description="One row per wearable data point (Open mHealth JSON, Apple Health "
            "XML) as delivered, with its raw record, file and position (or topic, partition, "
            "offset and broker time for data points published to the wearables topic). Holds "
            "device serials (PHI): only silver and later are de-identified.",
        ),
        bronze_spec(
            WEARABLE_ENROLLMENTS_RAW.name,
            source=layout.WEARABLES,
            description="Device enrollments as delivered: which device belongs to which MRN.",
        ).replace_attributes(skippable=True),  # a micro-batch of the topic brings none
        bronze_spec(
            WEARABLE_QUARANTINE,
            source=layout.WEARABLES,
            description="Wearable records and files that could not be parsed, raw text and reason.",
        ),
    ],
    **daily_table_writer(BRONZE, layout.WEARABLES),
)
def wearable_bronze(
    context: dg.AssetExecutionContext,
    config: TopicBatchConfig,
    landing_zone: LandingZoneResource,
    lakehouse: LakehouseResource,
    spark: SparkResource,
    kafka: KafkaResource,
):
    if config.read_topic:
        target = stream_target(lakehouse, WEARABLE_READINGS_RAW, WEARABLE_QUARANTINE)
        report = ingest_micro_batch(context, kafka, target, topic=WEARABLES_TOPIC, parse=parse_wearable_record,
                                    max_messages=config.max_messages)
        yield from stream_results(context, report, target, WEARABLE_QUARANTINE, lakehouse=lakehouse)
        return
    writer = BronzeWriter(lakehouse, landing_zone, WEARABLE_QUARANTINE, spark=spark.spark_session,
                          engine_parallelism=spark.parallelism, progress=context.log.info)
    readings, enrollments = wearable_deliveries(landing_zone, context.partition_keys)
    for table, deliveries in ((WEARABLE_READINGS_RAW, readings), (WEARABLE_ENROLLMENTS_RAW, enrollments)):
        yield bronze_result(context, writer.ingest(table, context.partition_keys, deliveries), lakehouse=lakehouse)
    yield quarantine_result(context, WEARABLE_QUARANTINE, writer.commit_quarantine(), lakehouse=lakehouse)


def wearable_deliveries(landing_zone: LandingZoneResource, days: list[str]) -> tuple[list[Delivery], list[Delivery]]:
    """The days' wearable files: (readings, enrollments)."""
    readings, enrollments = [], []
    for day in days:
        for file in landing_zone.files(layout.WEARABLES, day):
            if file.name == layout.ENROLLMENT_FILE_NAME:
                enrollments.append(Delivery(day, file, lambda s, _f: parse_enrollment_csv(s)))
            else:
                readings.append(_reading_delivery(day, file))
    return readings, enrollments

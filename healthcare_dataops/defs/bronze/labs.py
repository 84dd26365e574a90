"""Bronze lab results: external labs' HL7 v2 messages, one row per OBX segment.

Two ways in, one table: the day's files from the landing zone (the daily runs), or a
micro-batch of the labs topic that the MLLP listener fills (``lab_stream_job``, config
``read_topic``). Both parse with ``parse_hl7_file``. A file run replaces the rows of the files
it reads and nothing else (streamed rows name no file), and a micro-batch only appends records
past the offsets the table holds: neither can remove or repeat the other's rows.
"""

import io

import dagster as dg

from healthcare_dataops import landing_layout as layout
from healthcare_dataops.formats.hl7v2 import parse_hl7_file
from healthcare_dataops.formats.records import LAB_RESULT_COLUMNS
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
from healthcare_dataops.resources import LakehouseResource, LandingZoneResource
from healthcare_dataops.resources.kafka import KafkaResource
from healthcare_dataops.streaming.topics import LABS_TOPIC

LAB_QUARANTINE = "lab_bronze_quarantine"

LAB_RESULTS_RAW = BronzeTable(
    name="lab_results_raw",
    columns=LAB_RESULT_COLUMNS,
    position_columns=("source_message", "source_segment"),
    preview_columns=(
        "message_type", "observation_code", "observation_text", "observation_value",
        "units_code", "abnormal_flags", "result_status",
    ),
    streamed=True,
)


def parse_lab_record(value: bytes):
    """One record of the labs topic: one HL7 message as the listener received it."""
    return parse_hl7_file(io.BytesIO(value))


def _parser_for(file_name: str):
    if file_name.lower().endswith(layout.HL7_SUFFIXES):
        return lambda stream, _file: parse_hl7_file(stream)
    reason = f"not an HL7 v2 file: labs deliver {', '.join(layout.HL7_SUFFIXES)} files"
    return lambda stream, _file: reject_whole_file(stream, reason=reason)


@dg.multi_asset(
    specs=[
        bronze_spec(
            LAB_RESULTS_RAW.name,
            source=layout.LABS,
            description="One row per OBX segment of the labs' HL7 v2 ORU messages, values as "
            "delivered, with message/patient/order context and file, message and segment "
            "position (or topic, partition, offset and broker time for messages received over "
            "MLLP). Holds PHI (PID): only silver and later are de-identified.",
        ),
        bronze_spec(
            LAB_QUARANTINE,
            source=layout.LABS,
            description="HL7 messages, segments and lines that could not be parsed, raw "
            "text and reason.",
        ),
    ],
    **daily_table_writer(BRONZE, layout.LABS),
)
def lab_bronze(
    context: dg.AssetExecutionContext,
    config: TopicBatchConfig,
    landing_zone: LandingZoneResource,
    lakehouse: LakehouseResource,
    kafka: KafkaResource,
):
    if config.read_topic:
        target = stream_target(lakehouse, LAB_RESULTS_RAW, LAB_QUARANTINE)
        report = ingest_micro_batch(context, kafka, target, topic=LABS_TOPIC, parse=parse_lab_record,
                                    max_messages=config.max_messages)
        yield from stream_results(context, report, target, LAB_QUARANTINE, lakehouse=lakehouse)
        return
    writer = BronzeWriter(lakehouse, landing_zone, LAB_QUARANTINE, progress=context.log.info)
    deliveries = [
        Delivery(day, file, _parser_for(file.name))
        for day in context.partition_keys
        for file in landing_zone.files(layout.LABS, day)
    ]
    report = writer.ingest(LAB_RESULTS_RAW, context.partition_keys, deliveries)
    yield bronze_result(context, report, lakehouse=lakehouse)
    yield quarantine_result(context, LAB_QUARANTINE, writer.commit_quarantine(), lakehouse=lakehouse)

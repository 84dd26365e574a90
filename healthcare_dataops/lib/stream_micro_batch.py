"""A bronze asset's run over a broker topic instead of the landing zone: one micro-batch.

The sources fed both ways (labs, wearables) keep one bronze multi-asset each: the same tables,
the same parser, the same pool, the same daily partitions, so a micro-batch shows in Dagster
as a materialization of the day it wrote, and silver follows it as it follows a file run.
The asset's config says which way a run reads (``TopicBatchConfig``): the daily file runs
leave it at its default, the stream jobs (``defs/streams``) set it.

A micro-batch writes the run's one delivery day: the records each partition holds from the
offsets bronze lacks, up to ``max_messages``, and up to the first record the broker stamped
on a later day (the next run's). A record stamped before the run's day (a producer's clock
behind) is delivered on the run's day: days already ingested are not reopened; so is one
stamped on a day that has no partition yet (a clock ahead).
"""

from __future__ import annotations

import datetime as dt

import dagster as dg
from confluent_kafka import Consumer, KafkaException, TopicPartition
from pydantic import Field

from healthcare_dataops import settings
from healthcare_dataops.lakehouse.bronze_records import BronzeTable
from healthcare_dataops.lakehouse.metadata import table_metadata
from healthcare_dataops.lib.partitions import delivery_day_partitions
from healthcare_dataops.resources import LakehouseResource
from healthcare_dataops.resources.kafka import KafkaResource
from healthcare_dataops.streaming import topic_reader
from healthcare_dataops.streaming.stream_bronze import (
    RecordParser,
    StreamBatchReport,
    StreamTarget,
    first_unwritten,
    write_batch,
)


class TopicBatchConfig(dg.Config):
    """How a bronze run reads its source."""

    read_topic: bool = Field(
        default=False,
        description="Read a micro-batch of the source's broker topic instead of the day's landing-zone files.",
    )
    max_messages: int = Field(default=20_000, description="The most broker records one micro-batch reads.")


def delivery_day(broker_timestamp: dt.datetime) -> str:
    """The hospital's calendar day of a broker timestamp: a streamed record's delivery day."""
    return broker_timestamp.astimezone(settings.hospital_timezone()).date().isoformat()


def stream_target(lakehouse: LakehouseResource, table: BronzeTable, quarantine_table: str) -> StreamTarget:
    return StreamTarget(table, lakehouse.table_uri("bronze", table.name),
                        lakehouse.table_uri("bronze", quarantine_table), lakehouse.storage_options())


def consumer_group(table: BronzeTable) -> str:
    return f"bronze-{table.name}"


def ingest_micro_batch(
    context: dg.AssetExecutionContext,
    kafka: KafkaResource,
    target: StreamTarget,
    *,
    topic: str,
    parse: RecordParser,
    max_messages: int,
) -> StreamBatchReport:
    day = context.partition_key
    consumer = Consumer(kafka.consumer_config(consumer_group(target.table)))
    try:
        partitions = topic_reader.partitions(consumer, topic, kafka.poll_timeout_seconds)
        start = first_unwritten(target, topic, partitions)
        read = topic_reader.read(consumer, topic, start, max_records=max_messages,
                                 stop_before=lambda record: belongs_to_later_day(record.timestamp, day),
                                 idle_timeout_seconds=kafka.poll_timeout_seconds)
        report = write_batch(target, read, day, parse)
        _commit_hint(context, consumer, topic, read.last_offsets())
    finally:
        consumer.close()
    for partition, (missing, found) in report.gaps.items():
        context.log.warning(f"{topic} partition {partition}: offsets {missing} to {found - 1} were no longer on the "
                            "broker when read (its retention deleted them before ingestion)")
    context.log.info(f"{topic} → {target.table.name} ({day}): {report.records_read} records, "
                     f"{report.rows_written} rows + {report.rows_quarantined} quarantined")
    return report


def belongs_to_later_day(broker_timestamp: dt.datetime, day: str) -> bool:
    """Whether a record belongs to a later delivery day than ``day``: one whose day has a
    partition. A broker clock ahead of ours can stamp a day with none yet: the run's day takes
    it (stopping there would stop the feed)."""
    stamped = delivery_day(broker_timestamp)
    return stamped > day and stamped <= (delivery_day_partitions.get_last_partition_key() or day)


def _commit_hint(context, consumer: Consumer, topic: str, last: dict[int, int]) -> None:
    """The consumer group's offsets, for lag monitors; the Delta log holds the truth."""
    if not last:
        return
    try:
        consumer.commit(offsets=[TopicPartition(topic, p, o + 1) for p, o in last.items()], asynchronous=False)
    except KafkaException as error:
        context.log.warning(f"the consumer group's offsets (a hint for lag monitors) were not set: {error}")


def stream_results(
    context: dg.AssetExecutionContext, report: StreamBatchReport, target: StreamTarget, quarantine_table: str,
    *, lakehouse: LakehouseResource,
):
    """The micro-batch as materializations of the day of the table and of its quarantine."""
    offsets = {str(p): {"first": first, "last": last} for p, (first, last) in sorted(report.offsets.items())}
    counts = {
        "dagster/row_count": report.rows_written,
        "rows_quarantined": report.rows_quarantined,
        "records_read": report.records_read,
        "conservation": dg.MetadataValue.md(
            f"{report.records_read} broker records → {report.rows_written} rows + "
            f"{report.rows_quarantined} quarantined"),
        "source_topic": report.topic,
        "offsets_read": dg.MetadataValue.json(offsets),
    }
    if report.gaps:
        counts["offsets_missing"] = dg.MetadataValue.json({str(p): list(g) for p, g in report.gaps.items()})
    metadata = {**counts, **table_metadata(lakehouse, "bronze", target.table.name)}
    if report.version is not None:
        metadata["delta_version"] = report.version
    yield dg.MaterializeResult(asset_key=target.table.name, metadata=metadata)
    quarantine = {
        "dagster/row_count": report.rows_quarantined,
        "reasons": dg.MetadataValue.json(dict(report.reasons.most_common())),
        **table_metadata(lakehouse, "bronze", quarantine_table),
    }
    if report.quarantine_version is not None:
        quarantine["delta_version"] = report.quarantine_version
    yield dg.MaterializeResult(asset_key=quarantine_table, metadata=quarantine)

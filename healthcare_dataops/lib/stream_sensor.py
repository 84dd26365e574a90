"""What a stream sensor's tick decides: whether a topic has records bronze lacks, and for which day.

A tick reads the offsets bronze holds from the Delta log (``first_unwritten``), then at most
one record per partition from there: any record means work, and the earliest broker
timestamp among them names the delivery day the micro-batch writes. No cursor: the Delta log
is the one place that knows what is ingested, so a failed or killed run is simply requested
again from the same offsets. One micro-batch of a source at a time: while one is queued or in
progress the tick waits (its pool would hold a second anyway).
"""

from __future__ import annotations

import dagster as dg
from confluent_kafka import Consumer

from healthcare_dataops.lib.partitions import delivery_day_partitions
from healthcare_dataops.lib.stream_micro_batch import consumer_group, delivery_day
from healthcare_dataops.resources.kafka import KafkaResource
from healthcare_dataops.streaming import topic_reader
from healthcare_dataops.streaming.stream_bronze import StreamTarget, first_unwritten

IN_FLIGHT = [dg.DagsterRunStatus.QUEUED, dg.DagsterRunStatus.NOT_STARTED, dg.DagsterRunStatus.STARTING,
             dg.DagsterRunStatus.STARTED, dg.DagsterRunStatus.CANCELING]


def stream_requests(
    context: dg.SensorEvaluationContext, kafka: KafkaResource, target: StreamTarget, *, topic: str, job_name: str,
) -> dg.SensorResult | dg.SkipReason:
    in_flight = context.instance.get_run_records(
        dg.RunsFilter(job_name=job_name, statuses=IN_FLIGHT), limit=1)
    if in_flight:
        return dg.SkipReason(f"A micro-batch of {topic} is queued or running ({in_flight[0].dagster_run.run_id}).")
    consumer = Consumer(kafka.consumer_config(consumer_group(target.table)))
    try:
        partitions = topic_reader.partitions(consumer, topic, kafka.poll_timeout_seconds)
        start = first_unwritten(target, topic, partitions)
        waiting = topic_reader.read(consumer, topic, start, max_records=len(partitions), max_per_partition=1,
                                    idle_timeout_seconds=kafka.poll_timeout_seconds)
    finally:
        consumer.close()
    if not waiting.records:
        return dg.SkipReason(f"No new records on {topic}.")
    day = _partition_day(min(delivery_day(record.timestamp) for record in waiting.records))
    context.log.info(f"{topic}: records waiting in partitions {sorted({r.partition for r in waiting.records})}, "
                     f"the earliest of {day}")
    return dg.SensorResult(run_requests=[dg.RunRequest(partition_key=day)])


def _partition_day(day: str) -> str:
    """The day as a partition: a broker clock ahead of or behind the partitions' range gives
    the nearest day there is."""
    first = delivery_day_partitions.get_first_partition_key()
    last = delivery_day_partitions.get_last_partition_key()
    return min(max(day, first), last) if last else first

"""The real-time feeds' positions: per topic partition, the first offset bronze lacks (from the
offsets each table commits with its rows, ``stream_bronze``) against the broker's end offset
(its high watermark), and so the consumer lag in messages.

The lakehouse's Delta log, not a consumer group, is the truth of what was read; the group's
committed offsets are only a hint. Lag needs the broker's high watermarks, which Apache Kafka,
MSK and Confluent report exactly (the local Tansu broker does not: see ``local_broker``).
"""

from __future__ import annotations

from dataclasses import dataclass

from healthcare_dataops.defs.bronze.labs import LAB_QUARANTINE, LAB_RESULTS_RAW
from healthcare_dataops.defs.bronze.wearables import WEARABLE_QUARANTINE, WEARABLE_READINGS_RAW
from healthcare_dataops.streaming import stream_bronze, topic_reader
from healthcare_dataops.streaming.clients import consumer_config
from healthcare_dataops.streaming.topics import LABS_TOPIC, WEARABLES_TOPIC

# Each topic's bronze table and quarantine: a record is read once both hold its offset.
STREAMED_TABLES = {
    LABS_TOPIC: (LAB_RESULTS_RAW.name, LAB_QUARANTINE),
    WEARABLES_TOPIC: (WEARABLE_READINGS_RAW.name, WEARABLE_QUARANTINE),
}
BROKER_TIMEOUT_SECONDS = 3.0


@dataclass(frozen=True)
class PartitionPosition:
    topic: str
    partition: int
    # The first offset bronze (table or quarantine) lacks; None: nothing of it read yet.
    next_offset: int | None
    # The broker's oldest offset and end offset (high watermark).
    low_offset: int
    end_offset: int

    @property
    def lag(self) -> int:
        start = self.low_offset if self.next_offset is None else max(self.next_offset, self.low_offset)
        return max(self.end_offset - start, 0)


@dataclass(frozen=True)
class TopicPositions:
    topic: str
    reachable: bool  # whether the broker listed the topic's partitions
    partitions: tuple[PartitionPosition, ...] = ()


def next_offsets(lakehouse_root: str, storage_options: dict[str, str], topic: str,
                 partitions: list[int]) -> dict[int, int | None]:
    uris = [f"{lakehouse_root.rstrip('/')}/bronze/{table}" for table in STREAMED_TABLES[topic]]
    stored = [stream_bronze.stored_offsets(uri, storage_options, topic, partitions) for uri in uris]
    return {p: None if any(s[p] is None for s in stored) else min(s[p] for s in stored) + 1 for p in partitions}


def stream_positions(lakehouse_root: str, storage_options: dict[str, str], bootstrap_servers: str,
                     timeout_seconds: float = BROKER_TIMEOUT_SECONDS) -> list[TopicPositions]:
    """Each topic's partitions as the broker and the lakehouse see them; a topic the broker does
    not answer for within ``timeout_seconds`` is reported unreachable, not waited for."""
    from confluent_kafka import Consumer, KafkaException, TopicPartition

    consumer = Consumer(consumer_config(bootstrap_servers, "metrics"))
    found = []
    try:
        for topic in STREAMED_TABLES:
            try:
                partitions = topic_reader.partitions(consumer, topic, timeout_seconds)
                ends = {p: consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=timeout_seconds,
                                                          cached=False) for p in partitions}
            except (topic_reader.TopicUnavailable, KafkaException):
                found.append(TopicPositions(topic, reachable=False))
                continue
            done = next_offsets(lakehouse_root, storage_options, topic, partitions)
            found.append(TopicPositions(topic, True, tuple(
                PartitionPosition(topic, p, done[p], ends[p][0], ends[p][1]) for p in partitions)))
    finally:
        consumer.close()
    return found

"""Reading a topic's partitions from given offsets to their end, a bounded batch at a time.

The end of a partition is where the broker says so (``enable.partition.eof``), never its
reported high watermark: Tansu's watermarks are wrong, and a real broker's move while the
batch is read anyway. A read that stops hearing from the broker raises rather than return a
batch that silently ends early.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import confluent_kafka
from confluent_kafka import KafkaError, TopicPartition


class TopicUnavailable(RuntimeError):
    """The broker did not answer (or the topic does not exist): nothing was read."""


@dataclass(frozen=True)
class BrokerRecord:
    partition: int
    offset: int
    timestamp: dt.datetime  # the broker's timestamp (the producer's create time or the log's append time)
    key: bytes | None
    value: bytes


@dataclass
class TopicRead:
    topic: str
    records: list[BrokerRecord] = field(default_factory=list)
    # Offsets the broker no longer held when asked (its retention deleted them unread), by
    # partition: (first missing, first read).
    gaps: dict[int, tuple[int, int]] = field(default_factory=dict)

    def last_offsets(self) -> dict[int, int]:
        last: dict[int, int] = {}
        for record in self.records:
            last[record.partition] = max(record.offset, last.get(record.partition, -1))
        return last


def partitions(consumer: confluent_kafka.Consumer, topic: str, timeout_seconds: float) -> list[int]:
    try:
        metadata = consumer.list_topics(topic, timeout=timeout_seconds)
    except confluent_kafka.KafkaException as error:
        raise TopicUnavailable(f"cannot read the partitions of {topic}: {error}") from error
    described = metadata.topics.get(topic)
    if described is None or described.error is not None or not described.partitions:
        problem = described.error if described is not None and described.error else "no such topic"
        raise TopicUnavailable(f"topic {topic} cannot be read: {problem}")
    return sorted(described.partitions)


def read(
    consumer: confluent_kafka.Consumer,
    topic: str,
    start: dict[int, int | None],
    *,
    max_records: int,
    max_per_partition: int | None = None,
    stop_before: Callable[[BrokerRecord], bool] = lambda record: False,
    idle_timeout_seconds: float = 30.0,
) -> TopicRead:
    """Records of each partition in ``start`` from its offset (None: the oldest the broker
    holds), in offset order, until the partition's end, ``max_per_partition`` records, or the
    first record ``stop_before`` says belongs to a later batch; ``max_records`` in all."""
    result = TopicRead(topic)
    expected = dict(start)
    open_partitions = set(start)
    per_partition: dict[int, int] = dict.fromkeys(start, 0)
    consumer.assign([TopicPartition(topic, p, confluent_kafka.OFFSET_BEGINNING if o is None else o)
                     for p, o in start.items()])
    try:
        heard = time.monotonic()
        while open_partitions and len(result.records) < max_records:
            messages = consumer.consume(num_messages=min(500, max_records - len(result.records)), timeout=0.2)
            if messages:
                heard = time.monotonic()
            elif time.monotonic() - heard > idle_timeout_seconds:
                raise TopicUnavailable(f"no answer from the broker for {idle_timeout_seconds:.0f} s while reading "
                                       f"{topic} partitions {sorted(open_partitions)}")
            for message in messages:
                partition = message.partition()
                if partition not in open_partitions:
                    continue  # fetched before its partition was closed
                error = message.error()
                if error is not None:
                    if error.code() == KafkaError._PARTITION_EOF:
                        _close(consumer, topic, partition, open_partitions)
                    elif error.fatal() or not error.retriable():
                        raise TopicUnavailable(f"reading {topic} partition {partition}: {error.str()}")
                    continue
                offset = message.offset()
                if expected[partition] is not None and offset < expected[partition]:
                    continue  # already read: a fetch repeated after a reconnect
                if expected[partition] is not None and offset > expected[partition] and not per_partition[partition]:
                    result.gaps[partition] = (expected[partition], offset)
                record = _record(message)
                if stop_before(record) or len(result.records) >= max_records:
                    _close(consumer, topic, partition, open_partitions)
                    continue
                result.records.append(record)
                expected[partition] = offset + 1
                per_partition[partition] += 1
                if max_per_partition is not None and per_partition[partition] >= max_per_partition:
                    _close(consumer, topic, partition, open_partitions)
    finally:
        consumer.unassign()
    result.records.sort(key=lambda r: (r.partition, r.offset))
    return result


def _close(consumer: confluent_kafka.Consumer, topic: str, partition: int, open_partitions: set[int]) -> None:
    open_partitions.discard(partition)
    consumer.pause([TopicPartition(topic, partition)])


def _record(message) -> BrokerRecord:
    kind, millis = message.timestamp()
    # A record from a pre-0.10 producer carries no timestamp: it is delivered when it is read.
    stamped = (dt.datetime.now(dt.UTC) if kind == confluent_kafka.TIMESTAMP_NOT_AVAILABLE
               else dt.datetime.fromtimestamp(millis / 1000, tz=dt.UTC))
    return BrokerRecord(
        partition=message.partition(),
        offset=message.offset(),
        timestamp=stamped,
        key=message.key(),
        value=message.value() or b"",
    )

"""Kafka client configurations: one place for what every producer and consumer here sets.

Plain Kafka client API (``confluent-kafka``, on librdkafka), so the same code runs against
Apache Kafka, Amazon MSK or Confluent: the bootstrap servers come from settings, and security
(SASL, TLS) and any other client property pass through from the environment unchanged
(``settings.kafka_client_properties``).
"""

from __future__ import annotations

from healthcare_dataops import settings


def producer_config(bootstrap_servers: str, *, delivery_timeout_ms: int) -> dict[str, object]:
    """A durable producer: a delivery report is success only once every in-sync replica has
    the record (``acks=all``), with no duplicate or reordering from the client's own retries
    (idempotence); ``delivery_timeout_ms`` bounds how long a record may wait for the broker."""
    return {
        **settings.kafka_client_properties(),
        "bootstrap.servers": bootstrap_servers,
        "acks": "all",
        "enable.idempotence": True,
        "delivery.timeout.ms": delivery_timeout_ms,
        # A message waits at most this long to share a request with others: acknowledgement
        # latency is what the sender feels, so batches stay short.
        "linger.ms": 2,
        "client.id": "healthcare-dataops-mllp",
    }


def consumer_config(bootstrap_servers: str, group_id: str) -> dict[str, object]:
    """A consumer that reads partitions it is assigned from offsets it is given, and says when
    it has reached the end of each: the lakehouse's Delta log, not the group, holds the truth
    of what was read (the group's committed offsets are a hint for lag monitors)."""
    return {
        **settings.kafka_client_properties(),
        "bootstrap.servers": bootstrap_servers,
        "group.id": group_id,
        "enable.auto.commit": False,
        "enable.auto.offset.store": False,
        "enable.partition.eof": True,
        # An offset the broker's retention has already deleted: read from the oldest it has
        # (the gap is reported by the reader, never skipped silently).
        "auto.offset.reset": "earliest",
        "client.id": f"healthcare-dataops-{group_id}",
    }

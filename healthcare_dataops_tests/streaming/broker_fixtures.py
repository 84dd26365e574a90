"""The real broker and the real listener, started once per test module that asks for them."""

from __future__ import annotations

import pytest
from confluent_kafka import Consumer

from healthcare_dataops.benchmark.listener_process import ListenerProcess
from healthcare_dataops.streaming import topic_reader
from healthcare_dataops.streaming.clients import consumer_config
from healthcare_dataops.streaming.local_broker import LocalBroker
from healthcare_dataops.streaming.topic_reader import BrokerRecord

# Short enough that a test of the broker being down waits seconds, not the listener's default.
TEST_DELIVERY_TIMEOUT_SECONDS = 2.0


@pytest.fixture(scope="module")
def broker(tmp_path_factory):
    with LocalBroker(log_path=tmp_path_factory.mktemp("broker") / "tansu.log") as started:
        yield started


@pytest.fixture(scope="module")
def listener(broker, tmp_path_factory):
    log = tmp_path_factory.mktemp("listener") / "listener.log"
    with ListenerProcess(broker.bootstrap_servers, delivery_timeout_seconds=TEST_DELIVERY_TIMEOUT_SECONDS,
                         log_path=log, with_metrics=True) as started:
        yield started


def all_records(bootstrap_servers: str, topic: str) -> list[BrokerRecord]:
    """Every record the topic holds, read as the micro-batches read (to each partition's end)."""
    consumer = Consumer(consumer_config(bootstrap_servers, "tests"))
    try:
        partitions = topic_reader.partitions(consumer, topic, 10)
        return topic_reader.read(consumer, topic, dict.fromkeys(partitions), max_records=1_000_000,
                                 idle_timeout_seconds=10).records
    finally:
        consumer.close()

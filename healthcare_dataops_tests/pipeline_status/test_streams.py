"""The real-time feeds' positions against a real broker: the first offset bronze lacks comes
from the offsets the bronze table and its quarantine committed with their rows, and the lag is
the broker's end offset past it. (The local Tansu broker's end offsets are not Kafka's exact
ones, so the lag is checked against what it reports, not against a count.)"""

from __future__ import annotations

import pyarrow as pa
from confluent_kafka import Producer
from deltalake import CommitProperties, Transaction, write_deltalake

from healthcare_dataops.pipeline_status import streams
from healthcare_dataops.streaming.topics import LABS_TOPIC, WEARABLES_TOPIC, offset_app_id


def _commit_offset(uri: str, topic: str, partition: int, offset: int) -> None:
    """A bronze table's commit of rows up to ``offset`` of the partition, as the micro-batch makes it."""
    write_deltalake(uri, pa.table({"n": [offset]}), mode="append", commit_properties=CommitProperties(
        app_transactions=[Transaction(app_id=offset_app_id(topic, partition), version=offset)]))


def test_positions_and_lag_per_partition(broker, tmp_path):
    producer = Producer({"bootstrap.servers": broker.bootstrap_servers})
    for n in range(6):
        producer.produce(LABS_TOPIC, value=f"message {n}".encode(), partition=0)
    producer.flush(10)
    lakehouse = tmp_path / "lakehouse"
    table, quarantine = streams.STREAMED_TABLES[LABS_TOPIC]
    _commit_offset(str(lakehouse / "bronze" / table), LABS_TOPIC, 0, 4)
    _commit_offset(str(lakehouse / "bronze" / quarantine), LABS_TOPIC, 0, 2)  # behind: it decides

    found = {t.topic: t for t in streams.stream_positions(str(lakehouse), {}, broker.bootstrap_servers)}
    assert found[LABS_TOPIC].reachable and found[WEARABLES_TOPIC].reachable
    labs = {p.partition: p for p in found[LABS_TOPIC].partitions}
    assert labs[0].next_offset == 3 and labs[0].lag == max(labs[0].end_offset - 3, 0)
    assert all(p.next_offset is None and p.lag == p.end_offset - p.low_offset for n, p in labs.items() if n)


def test_an_unreachable_broker_is_reported_not_waited_for(tmp_path):
    from healthcare_dataops.streaming.local_broker import free_port

    found = streams.stream_positions(str(tmp_path), {}, f"127.0.0.1:{free_port()}", timeout_seconds=0.5)
    assert [(t.topic, t.reachable, t.partitions) for t in found] == [
        (LABS_TOPIC, False, ()), (WEARABLES_TOPIC, False, ())]

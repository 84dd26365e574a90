"""A Kafka producer for asyncio code whose ``send`` returns only once the broker has the record.

librdkafka reports each record's fate to a callback served by ``poll()``; a thread polls and
hands each report to the event loop, where the ``send`` that produced the record is waiting.
A report is success only with ``acks=all`` met (``clients.producer_config``), so a caller that
acknowledges after ``send`` returns never acknowledges a record that a broker failure could lose.
"""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass

import confluent_kafka

# Errors after which an idempotent producer's session is over: it must start a new one (a new
# producer id). librdkafka marks some fatal; a broker that answers a timed-out session's epoch
# bump with PRODUCER_FENCED (Tansu does) leaves it refusing every record otherwise.
_SESSION_OVER = frozenset({
    confluent_kafka.KafkaError.PRODUCER_FENCED,
    confluent_kafka.KafkaError.INVALID_PRODUCER_EPOCH,
    confluent_kafka.KafkaError.UNKNOWN_PRODUCER_ID,
    confluent_kafka.KafkaError.OUT_OF_ORDER_SEQUENCE_NUMBER,
})


class BrokerUnavailable(RuntimeError):
    """The record is not confirmed on the broker: it may not be there, and must be sent again."""


@dataclass(frozen=True)
class StoredRecord:
    topic: str
    partition: int
    offset: int


class DurableProducer:
    def __init__(self, config: dict[str, object]) -> None:
        self._config = {**config, "error_cb": self._on_error}
        self._producer = confluent_kafka.Producer(self._config)
        self._fatal: confluent_kafka.KafkaError | None = None
        # Replaced producers, polled until the records they still hold have their reports.
        self._retired: list[confluent_kafka.Producer] = []
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._poller = threading.Thread(target=self._poll, name="kafka-delivery-reports", daemon=True)
        self._poller.start()

    async def send(self, topic: str, *, key: bytes | None, value: bytes) -> StoredRecord:
        """The record's place on the broker once every in-sync replica has it; otherwise
        ``BrokerUnavailable`` (broker unreachable, delivery timeout, queue full, ...)."""
        loop = asyncio.get_running_loop()
        stored: asyncio.Future[StoredRecord] = loop.create_future()

        def delivered(error, message) -> None:  # on the poller's thread
            if error is not None and (error.fatal() or error.code() in _SESSION_OVER):
                self._fatal = error
            loop.call_soon_threadsafe(_settle, stored, error, message)

        try:
            self._current().produce(topic, value=value, key=key, on_delivery=delivered)
        except (BufferError, confluent_kafka.KafkaException) as error:
            raise BrokerUnavailable(f"the producer cannot take the record: {error}") from error
        return await stored

    def close(self, timeout_seconds: float = 10.0) -> int:
        """Wait for outstanding reports, stop polling; the number of records still unconfirmed."""
        left = self._producer.flush(timeout_seconds)
        self._stopping.set()
        self._poller.join(timeout_seconds)
        return left

    def _current(self) -> confluent_kafka.Producer:
        """The producer, a new one once its session is over (``_SESSION_OVER``)."""
        with self._lock:
            if self._fatal is not None:
                self._retired.append(self._producer)
                self._producer = confluent_kafka.Producer(self._config)
                self._fatal = None
            return self._producer

    def _on_error(self, error: confluent_kafka.KafkaError) -> None:
        if error.fatal():
            self._fatal = error

    def _poll(self) -> None:
        while not self._stopping.is_set():
            with self._lock:
                self._retired = [old for old in self._retired if len(old)]
                producers = [self._producer, *self._retired]
            for producer in producers:
                producer.poll(0.05 / len(producers))


def _settle(stored: asyncio.Future, error, message) -> None:
    if stored.done():
        return
    if error is not None:
        stored.set_exception(BrokerUnavailable(f"the broker did not confirm the record: {error.str()}"))
    else:
        stored.set_result(StoredRecord(message.topic(), message.partition(), message.offset()))

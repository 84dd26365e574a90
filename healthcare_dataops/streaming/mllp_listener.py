"""``healthcare-dataops mllp-listen``: HL7 v2 over MLLP in, each message onto the labs topic.

A lab's interface engine sends a message and waits for its acknowledgement before the next.
The listener answers ``AA`` only once the message is on the broker with every in-sync
replica (``DurableProducer``), so a message it accepted survives the listener's own crash
and the broker's loss of a node; ``AE`` when the broker cannot confirm it (the sender keeps
it and sends it again), ``AR`` when the message cannot be taken at all (``hl7_envelope``).
It keeps nothing itself: a crash loses only messages not yet acknowledged, which the sender
still holds. A resent message that was stored after all (its ``AA`` lost on the way) is one
more record with the same MSH-10, which silver keeps once.

The record is the message exactly as received (MLLP framing removed), keyed by the MRN so a
patient's messages stay in order on one partition. Logs carry counts, never message content.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Awaitable, Callable

from hl7.mllp import InvalidBlockError, start_hl7_server

from healthcare_dataops.streaming.acknowledgements import (
    ACCEPT,
    APPLICATION_ERROR,
    DATA_TYPE_ERROR,
    ERROR,
    REJECT,
    acknowledgement,
)
from healthcare_dataops.streaming.durable_producer import BrokerUnavailable, StoredRecord
from healthcare_dataops.streaming.hl7_envelope import UnacceptableMessage, read_envelope
from healthcare_dataops.streaming.topics import LABS_TOPIC

log = logging.getLogger(__name__)
# A message larger than this is refused: an ORU of a few hundred OBX is tens of kB.
MAX_MESSAGE_BYTES = 1 << 20

Send = Callable[..., Awaitable[StoredRecord]]


class MllpListener:
    def __init__(self, send: Send, *, topic: str = LABS_TOPIC) -> None:
        """``send(topic, key=..., value=...)`` stores a record durably (``DurableProducer.send``)."""
        self._send = send
        self._topic = topic
        self.acknowledged: Counter[str] = Counter()

    async def start(self, host: str, port: int) -> asyncio.Server:
        """Listening on ``host:port`` (port 0: a free one, see ``server.sockets``)."""
        return await start_hl7_server(self._serve_connection, host, port, limit=MAX_MESSAGE_BYTES)

    async def acknowledge(self, block: bytes) -> bytes:
        """The ACK for one received message, after it is stored, or why it is not."""
        try:
            envelope = read_envelope(block)
        except UnacceptableMessage as reason:
            return self._ack(REJECT, None, str(reason), reason.error_code)
        key = envelope.mrn.encode("utf-8") if envelope.mrn else None
        try:
            await self._send(self._topic, key=key, value=block)
        except BrokerUnavailable as reason:
            log.warning("message not stored, answered %s: %s", ERROR, reason)
            return self._ack(ERROR, envelope, f"not stored, send again: {reason}", APPLICATION_ERROR)
        return self._ack(ACCEPT, envelope)

    def _ack(self, code: str, envelope, text: str = "", error_code: str = "") -> bytes:
        self.acknowledged[code] += 1
        return acknowledgement(code, envelope, text, error_code)

    async def _serve_connection(self, reader, writer) -> None:
        try:
            while True:
                try:
                    block = await reader.readblock()
                except asyncio.IncompleteReadError:
                    return  # the sender closed the connection
                except (InvalidBlockError, ValueError) as framing:
                    # Not an MLLP block (or larger than the limit): the reader skipped to the
                    # next block end, so the connection can go on.
                    reason = f"not one MLLP-framed message: {framing}"
                    writer.writeblock(self._ack(REJECT, None, reason, DATA_TYPE_ERROR))
                    await writer.drain()
                    continue
                writer.writeblock(await self.acknowledge(block))
                await writer.drain()
        except ConnectionError:
            return
        finally:
            writer.close()

"""Lab results over MLLP as a lab's interface engine sends them: ORU^R01 messages, each sent
on a connection that waits for its acknowledgement before the next, at a set rate in all."""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from dataclasses import dataclass

from hl7.mllp import open_hl7_connection

# (LOINC, text, value, unit, reference range): analytes the reference maps know.
BASIC_RESULTS = (
    ("2345-7", "Glucose", "105", "mg/dL", "70-99"),
    ("2823-3", "Potassium", "4.1", "mmol/L", "3.5-5.1"),
    ("2160-0", "Creatinine", "0.9", "mg/dL", "0.6-1.2"),
)


def oru_message(control_id: str, mrn: str | None, *, observed: dt.datetime, results=BASIC_RESULTS,
                lab: str = "NORTHLAB") -> str:
    """An ORU^R01 (HL7 v2.5.1) of ``results`` for the patient ``mrn`` (none: no PID-3)."""
    when = observed.astimezone(dt.UTC).strftime("%Y%m%d%H%M%S+0000")
    patient = f"{mrn}^^^NGH^MR" if mrn else ""
    segments = [
        f"MSH|^~\\&|{lab} LIS|{lab}^2.16.840.1.113883.3.9901.1^ISO|HDO EHR|NORTH GENERAL HOSPITAL|{when}||"
        f"ORU^R01^ORU_R01|{control_id}|P|2.5.1|||AL|NE",
        f"PID|1||{patient}||DOE^JANE||19600101|F",
        f"OBR|1|P{control_id}^HDO EHR|F{control_id}^{lab}|24323-8^Comprehensive metabolic panel^LN|||{when}",
    ]
    for number, (code, text, value, unit, reference) in enumerate(results, start=1):
        segments.append(f"OBX|{number}|NM|{code}^{text}^LN||{value}|{unit}^{unit}^UCUM|{reference}|N|||F|||{when}")
    return "\r".join(segments) + "\r"


@dataclass(frozen=True)
class Acknowledgement:
    code: str  # MSA-1
    control_id: str  # MSA-2: the acknowledged message's MSH-10
    text: str  # MSA-3


def read_acknowledgement(framed: bytes | str) -> Acknowledgement:
    text = framed.decode("utf-8") if isinstance(framed, bytes) else framed
    segments = text.strip("\x0b\x1c\r\n").split("\r")
    msa = next(s for s in segments if s.startswith("MSA")).split("|")
    msa += [""] * (4 - len(msa))
    return Acknowledgement(msa[1], msa[2], msa[3])


@dataclass(frozen=True)
class Exchange:
    control_id: str
    code: str
    sent: float  # time.monotonic() when sent
    acknowledged: float
    acknowledged_at: dt.datetime  # wall clock of the acknowledgement

    @property
    def latency_seconds(self) -> float:
        return self.acknowledged - self.sent


async def send_at_rate(host: str, port: int, messages: list[tuple[str, str]], *, rate_per_second: float,
                       connections: int) -> list[Exchange]:
    """Send ``messages`` ((control id, text)) at ``rate_per_second`` in all over ``connections``
    connections; each connection waits for an acknowledgement before its next message, as
    MLLP senders do. A connection that falls behind the schedule sends as soon as it can."""
    started = time.monotonic() + 0.05

    async def connection(number: int) -> list[Exchange]:
        reader, writer = await open_hl7_connection(host, port, encoding="utf-8")
        done = []
        try:
            for index in range(number, len(messages), connections):
                await asyncio.sleep(max(0.0, started + index / rate_per_second - time.monotonic()))
                control_id, text = messages[index]
                sent = time.monotonic()
                writer.writeblock(text.encode("utf-8"))
                await writer.drain()
                reply = await reader.readblock()
                done.append(Exchange(control_id, read_acknowledgement(reply).code, sent, time.monotonic(),
                                     dt.datetime.now(dt.UTC)))
        finally:
            writer.close()
        return done

    per_connection = await asyncio.gather(*(connection(n) for n in range(min(connections, len(messages)))))
    return sorted((e for batch in per_connection for e in batch), key=lambda e: e.sent)

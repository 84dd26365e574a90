"""The topics the lakehouse reads, what each is keyed by, and how offsets are named in Delta."""

from __future__ import annotations

# HL7 v2 lab messages as the MLLP listener received them, one message per record, keyed by
# the patient's MRN (PID-3, the MR repetition): one patient's results stay in order.
LABS_TOPIC = "labs.hl7v2"
# Open mHealth data points as wearable platforms publish them, one JSON document per record,
# keyed by device.
WEARABLES_TOPIC = "wearables.omh"
TOPICS = (LABS_TOPIC, WEARABLES_TOPIC)


def offset_app_id(topic: str, partition: int) -> str:
    """The Delta application transaction id under which a table records, in the same commit as
    the rows, the last offset of ``topic``'s ``partition`` it holds."""
    return f"kafka:{topic}:{partition}"

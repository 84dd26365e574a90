"""What the MLLP listener reads of a lab message before it takes responsibility for it.

Only what deciding needs: whether the message is HL7 at all (an MSH whose separators can be
read, text the bronze parser can decode), its MSH-10 control id (without one, the sender
cannot match our acknowledgement, and silver cannot tell a resend from a new result), and
the patient's MRN (the topic's key). Everything else, results included, is bronze's to judge
with the same parser as the daily files: a message with one bad OBX is still accepted, and
that OBX is quarantined with its reason.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import hl7

from healthcare_dataops.formats.hl7v2 import header_problem, medical_record_number
from healthcare_dataops.formats.hl7v2_split import split_message

_SEGMENT_END = re.compile(r"\r\n|\r|\n")
DEFAULT_SEPARATORS = "\r|~^&"  # as hl7.Message.separators: segment, field, repetition, component, sub
DEFAULT_ENCODING_CHARACTERS = "^~\\&"
# HL7 table 0357 codes for a message that cannot be taken.
REQUIRED_FIELD_MISSING = "101^Required field missing^HL70357"
DATA_TYPE_ERROR = "102^Data type error^HL70357"


class UnacceptableMessage(ValueError):
    """A message the listener will not accept, with the reason the sender is told and its
    HL7 error code (table 0357)."""

    def __init__(self, reason: str, error_code: str = DATA_TYPE_ERROR) -> None:
        super().__init__(reason)
        self.error_code = error_code


@dataclass(frozen=True)
class Envelope:
    control_id: str
    mrn: str | None
    msh: list[str]  # the MSH's fields, numbered as HL7 numbers them (msh[1] is MSH-1)
    separators: str
    encoding_characters: str

    def msh_field(self, number: int) -> str:
        return self.msh[number] if number < len(self.msh) else ""


def read_envelope(block: bytes) -> Envelope:
    """The envelope of one MLLP block's message; ``UnacceptableMessage`` says why there is none."""
    try:
        text = block.decode("utf-8")
    except UnicodeDecodeError as error:
        raise UnacceptableMessage(f"message is not valid UTF-8 at byte {error.start}") from error
    # A byte-order mark before the MSH is no content (bronze's parser drops it too).
    segments = [s for s in _SEGMENT_END.split(text.removeprefix("\ufeff").strip()) if s.strip()]
    if not segments:
        raise UnacceptableMessage("empty message: no MSH segment")
    problem = header_problem(segments[0])
    if problem:
        raise UnacceptableMessage(problem)
    whole = "\r".join(segments)
    split = split_message(whole)
    if split is None:
        try:
            parsed = hl7.parse(whole)
            msh = [str(field) for field in parsed.segment("MSH")]
            pid = _first_pid(parsed)
            separators = parsed.separators
        except (hl7.ParseException, IndexError, KeyError, ValueError) as error:
            raise UnacceptableMessage(f"message cannot be parsed: {error}") from error
    else:
        msh, pid, separators = split.msh, split.first_pid, split.separators
    control_id = msh[10].strip() if len(msh) > 10 else ""
    if not control_id:
        raise UnacceptableMessage("no MSH-10 message control id: it cannot be acknowledged or deduplicated",
                                  REQUIRED_FIELD_MISSING)
    identifiers = str(pid[3]) if pid is not None and len(pid) > 3 and str(pid[3]) else None
    return Envelope(control_id, medical_record_number(identifiers, separators), msh, separators, msh[2])


def _first_pid(parsed: hl7.Message):
    try:
        return parsed.segment("PID")
    except KeyError:
        return None

"""HL7 v2 original-mode acknowledgements (MSH + MSA) for the MLLP listener.

``AA``: the message is durably on the broker. ``AE``: it could not be stored now (the broker
is unreachable or did not confirm): nothing was taken on, send it again. ``AR``: the message
itself cannot be taken (not HL7, no MSH-10): resending it unchanged will not help, it belongs in
the sender's error queue. MSA-3 says why, in words, without anything from the message but its
control id, cut to MSA-3's 80 characters; an ERR segment carries the whole reason (ERR-8)
and an HL7 error code (ERR-3, table 0357).
"""

from __future__ import annotations

import datetime as dt
import itertools
import os

from healthcare_dataops.streaming.hl7_envelope import (
    DATA_TYPE_ERROR,
    DEFAULT_ENCODING_CHARACTERS,
    DEFAULT_SEPARATORS,
    REQUIRED_FIELD_MISSING,
    Envelope,
)

__all__ = ["APPLICATION_ERROR", "DATA_TYPE_ERROR", "REQUIRED_FIELD_MISSING", "acknowledgement"]

ACCEPT, ERROR, REJECT = "AA", "AE", "AR"
RECEIVER_APPLICATION, RECEIVER_FACILITY = "HEALTHCARE DATAOPS", "LAKEHOUSE"
_TEXT_LIMIT = 80  # MSA-3 is an ST of 80 characters
APPLICATION_ERROR = "207^Application internal error^HL70357"  # HL7 table 0357
_sequence = itertools.count(1)


def acknowledgement(code: str, envelope: Envelope | None, text: str = "", error_code: str = "") -> bytes:
    """The ACK message for ``envelope`` (None: a message whose header could not be read);
    ``error_code`` (table 0357) adds an ERR segment with the whole ``text``."""
    separators = envelope.separators if envelope else DEFAULT_SEPARATORS
    encoding = envelope.encoding_characters if envelope else DEFAULT_ENCODING_CHARACTERS
    field = separators[1]
    source = envelope.msh_field if envelope else (lambda _number: "")
    trigger = source(9).split(separators[3])[1:2]
    now = dt.datetime.now(dt.UTC).strftime("%Y%m%d%H%M%S")
    control = f"ACK{os.getpid()}{now}{next(_sequence)}"
    msh = [
        "MSH", encoding,
        source(5) or RECEIVER_APPLICATION, source(6) or RECEIVER_FACILITY, source(3), source(4),
        now, "", separators[3].join(["ACK", *trigger, "ACK"]) if trigger else "ACK", control,
        source(11) or "P", source(12) or "2.5.1",
    ]
    msa = ["MSA", code, envelope.control_id if envelope else "", _escaped(text[:_TEXT_LIMIT], field, encoding)]
    segments = [field.join(msh), field.join(msa)]
    if error_code:
        code_field = error_code.replace("^", separators[3])
        segments.append(field.join(["ERR", "", "", code_field, "E", "", "", "", _escaped(text, field, encoding)]))
    return ("\r".join(segments) + "\r").encode("utf-8")


def _escaped(text: str, field: str, encoding: str) -> str:
    """``text`` with HL7's escape sequences for the separators it contains."""
    component, repetition, escape, subcomponent = encoding[:4]
    escapes = {escape: "E", field: "F", component: "S", repetition: "R", subcomponent: "T"}
    return "".join(f"{escape}{escapes[c]}{escape}" if c in escapes else c for c in text if c not in "\r\n")

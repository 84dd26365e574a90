"""An HL7 v2 message's fields read by splitting its text: the fast path of ``hl7v2``.

``hl7.parse`` builds a container for every field, repetition, component and subcomponent,
and ``str()`` of a field joins them back together: split and join undo each other at every
level, so ``str(segment[n])`` is the ``n``-th piece of the segment split on the field
separator, escapes and all. This module gets those strings with one ``str.split`` per
segment. It must keep everything the library does to them (read from hl7 0.4.5's
``parser.py`` and ``containers.py``):

- the whole message text is ``strip()``-ed first, so the last segment loses its trailing
  whitespace (the first starts with ``MSH`` and loses nothing);
- MSH-1 is the field separator itself and MSH-2 the encoding characters, so the fields of
  the MSH split on its separator are numbered one higher than their list index;
- the separators are ``hl7.Message.separators``: segment, field, repetition, component,
  subcomponent;
- ``message.segment("PID")`` skips a bare ``PID`` line (no separator in it: the library
  makes its first element a character, not a field).

Where a split could read a message differently, ``split_message`` returns None and the
caller parses it with the library, which stays the reference.
"""

from __future__ import annotations

from typing import NamedTuple


class SplitMessage(NamedTuple):
    separators: str  # as hl7.Message.separators: segment, field, repetition, component, sub
    segments: list[list[str]]  # each segment's fields, numbered as hl7 numbers them
    msh: list[str]
    first_pid: list[str] | None  # what hl7's message.segment("PID") returns; None: no PID


def split_message(whole: str) -> SplitMessage | None:
    """The fields of ``whole`` (segments joined by CR, starting with an MSH that passed the
    header check) as ``hl7.parse`` reads them, or None where that is not certain."""
    text = whole.strip()  # as hl7.parse does
    texts = text.split("\r")
    separators = _separators(texts[0])
    if separators is None:
        return None
    field_separator = separators[1]
    segments = [segment.split(field_separator) for segment in texts]
    segments[0].insert(1, field_separator)  # MSH-1
    first_pid = _first_pid(segments)
    if first_pid is None and ["PID"] in segments:
        return None  # hl7's message.segment("PID") raises where a bare PID is the only one
    return SplitMessage(separators, segments, segments[0], first_pid)


def _separators(msh: str) -> str | None:
    """hl7's separators for this MSH, or None where hl7 reads the MSH in its own way."""
    field_separator = msh[3:4]
    encoding_end = msh.find(field_separator, 4) if field_separator else -1
    # With no field after MSH-2, hl7 takes the MSH-2 end from a later segment (or the last
    # character) and reads the whole MSH text again as MSH-3 onwards.
    if encoding_end < 0:
        return None
    encoding = msh[4:encoding_end]  # component, repetition, escape, subcomponent[, truncation]
    if len(encoding) not in (4, 5):
        return None
    separators = "\r" + field_separator + encoding[1] + encoding[0] + encoding[3]
    # hl7 finds each level's separator by its first place in this string.
    return separators if len(set(separators)) == len(separators) else None


def _first_pid(segments: list[list[str]]) -> list[str] | None:
    """The first PID that hl7 finds by name: it does not find a bare ``PID`` line."""
    return next((fields for fields in segments if fields[0] == "PID" and len(fields) > 1), None)

r"""Source timestamps → UTC timestamps.

Built from substring and concat rather than regex replacement or format patterns: engines
disagree on those (Sail reads ``$3T`` as a named group; it rejects the ``XX`` offset pattern),
and results must be identical on every engine. A time without an offset is taken as UTC.
try_to_timestamp, not to_timestamp: a well-formed but impossible time (February 30th, hour
24) is null on both engines, where to_timestamp raises under Spark 4's ANSI mode.

The regexes use [0-9] and \z, never \d and $: Rust's \d (Sail) also matches Arabic-Indic and
other Unicode digits, and Sail's to_timestamp then raised on them where JVM Spark gave null;
Java's $ (JVM Spark) also matches before a trailing line break, so "2026-01-01T10:00:00Z\n"
was a time on JVM Spark and null on Sail.
"""

from __future__ import annotations

from pyspark.sql import Column
from pyspark.sql import functions as F


def hl7_timestamp(text: Column) -> Column:
    """HL7 v2 DTM ``YYYYMMDD[HHMM[SS[.S...]]][+/-ZZZZ]`` → timestamp (null if malformed)."""
    value = F.trim(text)
    digits = F.regexp_extract(value, r"^([0-9]{8}([0-9]{4}([0-9]{2})?)?)", 1)
    offset = F.regexp_extract(value, r"([+-][0-9]{4})\z", 1)
    padded = F.rpad(digits, 14, "0")
    wellformed = value.rlike(r"^[0-9]{8}([0-9]{4}([0-9]{2}(\.[0-9]{1,4})?)?)?([+-][0-9]{4})?\z")
    return F.when(wellformed, F.try_to_timestamp(_iso(padded, offset)))


def iso_timestamp(text: Column) -> Column:
    """ISO 8601 with ``Z`` or an offset (Synthea, Open mHealth) → timestamp."""
    value = F.trim(text)
    wellformed = value.rlike(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}([T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?)?"
                             r"(Z|[+-][0-9]{2}:?[0-9]{2})?\z")
    return F.when(wellformed, F.try_to_timestamp(value))


def apple_health_timestamp(text: Column) -> Column:
    """Apple Health ``YYYY-MM-DD HH:MM:SS +HHMM`` → timestamp."""
    value = F.trim(text)
    wellformed = value.rlike(r"^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2} [+-][0-9]{4}\z")
    digits = F.concat(
        F.substring(value, 1, 4), F.substring(value, 6, 2), F.substring(value, 9, 2),
        F.substring(value, 12, 2), F.substring(value, 15, 2), F.substring(value, 18, 2),
    )
    return F.when(wellformed, F.try_to_timestamp(_iso(digits, F.substring(value, 21, 5))))


def _iso(digits14: Column, offset: Column) -> Column:
    part = lambda start, length: F.substring(digits14, start, length)  # noqa: E731
    zone = F.when(offset == "", F.lit("Z")).otherwise(
        F.concat(F.substring(offset, 1, 3), F.lit(":"), F.substring(offset, 4, 2))
    )
    return F.concat(
        part(1, 4), F.lit("-"), part(5, 2), F.lit("-"), part(7, 2), F.lit("T"),
        part(9, 2), F.lit(":"), part(11, 2), F.lit(":"), part(13, 2), zone,
    )

"""Source timestamps → UTC timestamps.

Built from substring and concat rather than regex replacement or format patterns: engines
disagree on those (Sail reads ``$3T`` as a named group; it rejects the ``XX`` offset pattern),
and results must be identical on every engine. A time without an offset is taken as UTC.
"""

from __future__ import annotations

from pyspark.sql import Column
from pyspark.sql import functions as F


def hl7_timestamp(text: Column) -> Column:
    """HL7 v2 DTM ``YYYYMMDD[HHMM[SS[.S...]]][+/-ZZZZ]`` → timestamp (null if malformed)."""
    value = F.trim(text)
    digits = F.regexp_extract(value, r"^(\d{8}(\d{4}(\d{2})?)?)", 1)
    offset = F.regexp_extract(value, r"([+-]\d{4})$", 1)
    padded = F.rpad(digits, 14, "0")
    wellformed = value.rlike(r"^\d{8}(\d{4}(\d{2}(\.\d{1,4})?)?)?([+-]\d{4})?$")
    return F.when(wellformed, F.to_timestamp(_iso(padded, offset)))


def iso_timestamp(text: Column) -> Column:
    """ISO 8601 with ``Z`` or an offset (Synthea, Open mHealth) → timestamp."""
    value = F.trim(text)
    wellformed = value.rlike(r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?$")
    return F.when(wellformed, F.to_timestamp(value))


def apple_health_timestamp(text: Column) -> Column:
    """Apple Health ``YYYY-MM-DD HH:MM:SS +HHMM`` → timestamp."""
    value = F.trim(text)
    wellformed = value.rlike(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} [+-]\d{4}$")
    digits = F.concat(
        F.substring(value, 1, 4), F.substring(value, 6, 2), F.substring(value, 9, 2),
        F.substring(value, 12, 2), F.substring(value, 15, 2), F.substring(value, 18, 2),
    )
    return F.when(wellformed, F.to_timestamp(_iso(digits, F.substring(value, 21, 5))))


def _iso(digits14: Column, offset: Column) -> Column:
    part = lambda start, length: F.substring(digits14, start, length)  # noqa: E731
    zone = F.when(offset == "", F.lit("Z")).otherwise(
        F.concat(F.substring(offset, 1, 3), F.lit(":"), F.substring(offset, 4, 2))
    )
    return F.concat(
        part(1, 4), F.lit("-"), part(5, 2), F.lit("-"), part(7, 2), F.lit("T"),
        part(9, 2), F.lit(":"), part(11, 2), F.lit(":"), part(13, 2), zone,
    )

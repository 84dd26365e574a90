"""Per-patient date shifting: every date of a patient moves back by the same secret offset.

The offset comes from the key and the patient's pseudonym, so it is the same in all three
sources and in every run, and nobody without the key can recompute it to undo the shift.
"""

from __future__ import annotations

from pyspark.sql import Column
from pyspark.sql import functions as F

from healthcare_dataops.privacy.columns import ColumnOrName, as_column
from healthcare_dataops.privacy.pseudonyms import pseudonym, pseudonym_of

# At most a month: intervals within a patient survive exactly (every date moves by the same
# offset), while the order of events across patients is blurred by no more than a month, so
# temporal train/test splits and drift windows over shifted dates stay meaningful.
MAX_SHIFT_DAYS = 30
_DOMAIN = "date-shift"
_HEX_DIGITS = 8  # 32 bits: the bias of 2**32 mod 30 is about 4e-9, nothing to worry about


def shift_days(patient_pseudonym: ColumnOrName, key: bytes) -> Column:
    """Days in [1, MAX_SHIFT_DAYS] to move this patient's dates back; null pseudonym → null.

    MAX_SHIFT_DAYS is 30 so that intervals within a patient survive exactly, while the order
    of events across patients is blurred by at most a month: temporal train/test splits and
    drift windows stay meaningful.
    """
    token = pseudonym(as_column(patient_pseudonym), key, _DOMAIN)
    as_number = F.conv(F.substring(token, 1, _HEX_DIGITS), 16, 10).cast("long")
    return (as_number % MAX_SHIFT_DAYS + 1).cast("int")


def shift_days_of(patient_pseudonym: str | None, key: bytes) -> int | None:
    """The pure-Python reference for :func:`shift_days`."""
    token = pseudonym_of(patient_pseudonym, key, _DOMAIN)
    return None if token is None else int(token[:_HEX_DIGITS], 16) % MAX_SHIFT_DAYS + 1


def shift_timestamp(ts: ColumnOrName, days: ColumnOrName | int) -> Column:
    """``ts`` moved back by ``days`` whole days, keeping its time of day; null stays null.

    A day-time interval is exact microseconds, so the time of day holds in the session's UTC
    zone (with a DST zone, a shift across a change would move the wall-clock time by an hour).
    The column keeps its type (TIMESTAMP or TIMESTAMP_NTZ) and its microseconds.
    """
    return as_column(ts) - F.make_dt_interval(_days(days))


def shift_date(d: ColumnOrName, days: ColumnOrName | int) -> Column:
    """``d`` moved back by ``days`` days; null stays null."""
    return F.date_sub(as_column(d), _days(days))


def _days(days: ColumnOrName | int) -> Column:
    # JVM Spark's date_sub refuses a BIGINT day count that Sail accepts: always hand it an INT.
    return (F.lit(days) if isinstance(days, int) else as_column(days)).cast("int")

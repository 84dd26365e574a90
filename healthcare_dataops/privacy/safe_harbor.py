"""HIPAA Safe Harbor generalisations: ZIP3 with sparse areas suppressed, birth year, age bands.

Safe Harbor (45 CFR 164.514(b)(2)) allows the first three ZIP digits only where that area
holds more than 20,000 people, and no date element more precise than the year; ages over 89
and their birth years must be pooled into one category.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from pathlib import Path

from pyspark.sql import Column
from pyspark.sql import functions as F

from healthcare_dataops.privacy.columns import ColumnOrName, as_column

RESTRICTED_ZIP3_FILE = "restricted_zip3.csv"
SUPPRESSED_ZIP3 = "000"
OLDEST_REPORTED_AGE = 89  # 90 and over is one category, with no birth year
# (label, oldest age in the band); the last band is open-ended.
AGE_BANDS = (("0-17", 17), ("18-44", 44), ("45-64", 64), ("65-74", 74),
             ("75-89", OLDEST_REPORTED_AGE), ("90+", None))

# [0-9], not \d: Rust's \d (Sail) also matches Arabic-Indic and other Unicode digits.
# \z, not $: Java's $ (JVM Spark) also matches before a trailing line break.
_FIVE_DIGITS_OR_ZIP4 = r"^[0-9]{5}(-?[0-9]{4})?\z"
_LOST_LEADING_ZERO = r"^[0-9]{4}\z"  # a spreadsheet read 02155 as the number 2155


def reference_directory(candidates: tuple[Path, ...] | None = None) -> Path:
    """``data/reference`` beside the package (a checkout, the image), else under the cwd."""
    candidates = candidates or (Path(__file__).resolve().parents[2] / "data" / "reference",
                                Path.cwd() / "data" / "reference")
    for candidate in candidates:
        if (candidate / RESTRICTED_ZIP3_FILE).is_file():
            return candidate
    searched = ", ".join(str(c) for c in candidates)
    raise FileNotFoundError(f"{RESTRICTED_ZIP3_FILE} not found in any of: {searched}")


def load_restricted_zip3(path: Path) -> frozenset[str]:
    """The ZIP3 prefixes to suppress, read as text so their leading zeros survive."""
    with path.open(newline="", encoding="utf-8") as handle:
        prefixes = frozenset(row["zip3"].strip() for row in csv.DictReader(handle))
    malformed = sorted(p for p in prefixes if not re.fullmatch(r"[0-9]{3}", p))
    if malformed:
        raise ValueError(f"{path}: zip3 values must be three digits, got {malformed}")
    return prefixes


RESTRICTED_ZIP3 = load_restricted_zip3(reference_directory() / RESTRICTED_ZIP3_FILE)


def zip3(zip_code: ColumnOrName) -> Column:
    """First three digits of a 5-digit or ZIP+4 code; restricted → "000"; malformed → null."""
    compact = F.translate(as_column(zip_code).cast("string"), " ", "")
    five = (F.when(compact.rlike(_LOST_LEADING_ZERO), F.concat(F.lit("0"), compact))
            .when(compact.rlike(_FIVE_DIGITS_OR_ZIP4), compact))
    prefix = F.substring(five, 1, 3)
    return F.when(prefix.isin(*sorted(RESTRICTED_ZIP3)), F.lit(SUPPRESSED_ZIP3)).otherwise(prefix)


def zip3_of(zip_code: str | int | None) -> str | None:
    """The pure-Python reference for :func:`zip3`."""
    compact = None if zip_code is None else str(zip_code).replace(" ", "")
    if compact is None or not re.fullmatch(r"[0-9]{4}|[0-9]{5}(-?[0-9]{4})?", compact):
        return None
    prefix = compact.zfill(5)[:3]
    return SUPPRESSED_ZIP3 if prefix in RESTRICTED_ZIP3 else prefix


def age_years(birth_date: ColumnOrName, as_of: ColumnOrName) -> Column:
    """Whole years from birth to ``as_of``; null if either is null or birth is after as_of.

    Exact birthday arithmetic (a year is counted once month and day are reached, so a
    29 February birthday counts from 1 March in other years), not days / 365.25.
    """
    birth, on = as_column(birth_date).cast("date"), as_column(as_of).cast("date")
    month_day = lambda d: F.month(d) * 100 + F.dayofmonth(d)  # noqa: E731
    before_birthday = F.when(month_day(on) < month_day(birth), 1).otherwise(0)
    return F.when(birth <= on, F.year(on) - F.year(birth) - before_birthday)


def age_years_of(birth_date: dt.date | None, as_of: dt.date | None) -> int | None:
    """The pure-Python reference for :func:`age_years`."""
    if birth_date is None or as_of is None or birth_date > as_of:
        return None
    before_birthday = (as_of.month, as_of.day) < (birth_date.month, birth_date.day)
    return as_of.year - birth_date.year - before_birthday


def birth_year(birth_date: ColumnOrName, as_of: ColumnOrName) -> Column:
    """Year of birth, or null at 90 and over (Safe Harbor allows them no year)."""
    age = age_years(birth_date, as_of)
    return F.when(age <= OLDEST_REPORTED_AGE, F.year(as_column(birth_date).cast("date")))


def birth_year_of(birth_date: dt.date | None, as_of: dt.date | None) -> int | None:
    """The pure-Python reference for :func:`birth_year`."""
    age = age_years_of(birth_date, as_of)
    return birth_date.year if age is not None and age <= OLDEST_REPORTED_AGE else None


def age_band(birth_date: ColumnOrName, as_of: ColumnOrName) -> Column:
    """One of AGE_BANDS ("0-17" … "75-89", "90+"); null when the age is unknown."""
    age = age_years(birth_date, as_of)
    band = None
    for label, oldest in AGE_BANDS:
        in_band = age.isNotNull() if oldest is None else age <= oldest
        band = F.when(in_band, label) if band is None else band.when(in_band, label)
    return band


def age_band_of(birth_date: dt.date | None, as_of: dt.date | None) -> str | None:
    """The pure-Python reference for :func:`age_band`."""
    age = age_years_of(birth_date, as_of)
    if age is None:
        return None
    return next(label for label, oldest in AGE_BANDS if oldest is None or age <= oldest)

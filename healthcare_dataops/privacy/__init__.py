"""De-identification for silver and everything after it (DESIGN.md, Privacy).

Keyed pseudonyms for identifiers, a per-patient date shift, and the Safe Harbor
generalisations (ZIP3, birth year, age bands), all as Spark column expressions that give
identical results on Sail and JVM Spark, each with a pure-Python reference.
"""

from healthcare_dataops.privacy import keys
from healthcare_dataops.privacy.date_shift import (
    MAX_SHIFT_DAYS,
    shift_date,
    shift_days,
    shift_days_of,
    shift_timestamp,
)
from healthcare_dataops.privacy.keys import (
    DEVELOPMENT_KEY,
    PSEUDONYM_KEY_ENV,
    is_development_key,
    key_bytes,
)
from healthcare_dataops.privacy.pseudonyms import pseudonym, pseudonym_of
from healthcare_dataops.privacy.safe_harbor import (
    AGE_BANDS,
    RESTRICTED_ZIP3,
    SUPPRESSED_ZIP3,
    age_band,
    age_band_of,
    age_years,
    age_years_of,
    birth_year,
    birth_year_of,
    zip3,
    zip3_of,
)

__all__ = [
    "AGE_BANDS",
    "DEVELOPMENT_KEY",
    "MAX_SHIFT_DAYS",
    "PSEUDONYM_KEY_ENV",
    "RESTRICTED_ZIP3",
    "SUPPRESSED_ZIP3",
    "age_band",
    "age_band_of",
    "age_years",
    "age_years_of",
    "birth_year",
    "birth_year_of",
    "is_development_key",
    "key_bytes",
    "keys",
    "pseudonym",
    "pseudonym_of",
    "shift_date",
    "shift_days",
    "shift_days_of",
    "shift_timestamp",
    "zip3",
    "zip3_of",
]

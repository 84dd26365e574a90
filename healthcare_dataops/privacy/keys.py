"""The secret behind every pseudonym and date shift, and the checks it must pass.

Whoever holds the key can recompute any patient's pseudonym and date shift from an MRN, so it
lives only in the environment. Error messages name the variable and never echo its value.
"""

from __future__ import annotations

PSEUDONYM_KEY_ENV = "HEALTHCARE_DATAOPS_PSEUDONYM_KEY"

# Public on purpose: good for generated data and tests, worthless as protection for real PHI.
DEVELOPMENT_KEY = "DEVELOPMENT-ONLY-healthcare-dataops-pseudonym-key"

# A short key can be guessed by brute force over the key space; 16 characters is the floor.
MINIMUM_KEY_LENGTH = 16


def key_bytes(value: str) -> bytes:
    """The key as UTF-8 bytes; a missing or short key is refused before it weakens anything."""
    if not value:
        raise ValueError(f"{PSEUDONYM_KEY_ENV} is empty: set it to a secret of at least "
                         f"{MINIMUM_KEY_LENGTH} characters")
    if len(value) < MINIMUM_KEY_LENGTH:
        raise ValueError(f"{PSEUDONYM_KEY_ENV} is shorter than {MINIMUM_KEY_LENGTH} "
                         "characters: use a longer random secret")
    return value.encode("utf-8")


def is_development_key(value: str) -> bool:
    """Whether ``value`` is the public development key (so callers can warn loudly)."""
    return value.strip() == DEVELOPMENT_KEY

"""Every random draw comes from a stream named by (seed, purpose, keys...).

A stream per patient and day, rather than one long stream, is what lets a run that starts
on day 21 reproduce the days a run from day 1 wrote: nothing a day draws depends on how
many draws were made before it.
"""

from __future__ import annotations

import hashlib

import numpy as np

# Stable numbers per purpose: renaming a purpose must not change the data.
PURPOSES = {
    "panel": 1, "identity": 2, "registrations": 3, "screen": 4, "onset": 5, "admission": 6,
    "inpatient_day": 7, "discharge": 8, "readmission": 9, "visit": 10, "history": 11,
    "wearable_day": 12, "wearable_sleep": 13, "faults": 14, "device": 15, "stay_rows": 16,
    "delivery_faults": 17, "stay_ending": 18, "planned": 19,
}
# Days are keyed from the population epoch; prior history reaches back before it.
DAY_KEY_OFFSET = 100_000


def stream(seed: int, purpose: str, *keys: int) -> np.random.Generator:
    return np.random.default_rng([seed, PURPOSES[purpose], *(int(k) for k in keys)])


def day_key(day_index: int) -> int:
    return day_index + DAY_KEY_OFFSET


def stable_uuid(seed: int, *parts: object) -> str:
    """A version-4-shaped UUID that is a pure function of its parts."""
    return _uuid_text(hashlib.blake2b(repr((seed, parts)).encode(), digest_size=16).hexdigest())


def _uuid_text(h: str) -> str:
    variant = "89ab"[int(h[16], 16) & 3]
    return f"{h[0:8]}-{h[8:12]}-4{h[13:16]}-{variant}{h[17:20]}-{h[20:32]}"


def stable_hex(seed: int, length: int, *parts: object) -> str:
    return hashlib.blake2b(repr((seed, parts)).encode(), digest_size=16).hexdigest()[:length]


def stable_fraction(seed: int, *parts: object) -> float:
    """A uniform number in [0, 1) from a hash, for single draws where a stream is overkill."""
    digest = hashlib.blake2b(repr((seed, parts)).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


def uuids_from_bytes(raw: bytes) -> list[str]:
    """Many version-4 UUIDs from random bytes at once (16 bytes each); cheap for wearables."""
    text = raw.hex()
    return [_uuid_text(text[start:start + 32]) for start in range(0, len(text), 32)]

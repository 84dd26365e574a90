"""Keyed pseudonyms: HMAC-SHA256 (RFC 2104) built from Spark column functions.

The same key is used for all three sources, so an MRN gets the same pseudonym in the EHR, the
lab feed and the wearables and joins still work, while no one without the key can recompute
or reverse it. Spark has no HMAC function and the transforms may not use Python UDFs (they
run over Spark Connect on Sail and JVM Spark alike), so HMAC is spelled out with ``sha2``:
H((K xor opad) || H((K xor ipad) || message)), the padded keys precomputed here as literals.
"""

from __future__ import annotations

import hashlib
import hmac
import re

from pyspark.sql import Column
from pyspark.sql import functions as F

from healthcare_dataops.privacy.columns import ColumnOrName, as_column

_BLOCK_SIZE = 64  # SHA-256's block size in bytes, as RFC 2104 pads to it
# Trimmed on both engines and in Python alike; str.strip() with no argument would also strip
# Unicode spaces that Spark's trim keeps, and the pseudonyms would then differ.
_WHITESPACE = " \t\r\n\f\v"
# Domains are plain words, so "domain:value" cannot be read two ways (no ":" in a domain).
_DOMAIN_SHAPE = re.compile(r"[a-z]+(-[a-z]+)*")


def pseudonym(column: ColumnOrName, key: bytes, domain: str) -> Column:
    """Lowercase hex HMAC-SHA256(key, f"{domain}:{trimmed value}"); null or blank → null.

    ``domain`` keeps kinds of identifier apart, so the same text as an MRN and as an
    encounter Id never yields the same pseudonym: ``"patient"`` (MRNs, EHR patient Ids),
    ``"encounter"``, ``"device"``, ``"message"``.
    """
    inner_pad, outer_pad = _padded_keys(key, domain)
    value = F.trim(as_column(column).cast("string"), F.lit(_WHITESPACE))
    message = F.concat(F.lit(f"{domain}:"), value).cast("binary")
    inner_digest = F.unhex(F.sha2(F.concat(F.lit(inner_pad), message), 256))
    digest = F.sha2(F.concat(F.lit(outer_pad), inner_digest), 256)
    return F.when(value != "", digest)


def pseudonym_of(value: str | None, key: bytes, domain: str) -> str | None:
    """The pure-Python reference for :func:`pseudonym` (tests and code outside Spark)."""
    _padded_keys(key, domain)
    trimmed = None if value is None else value.strip(_WHITESPACE)
    if not trimmed:
        return None
    return hmac.new(key, f"{domain}:{trimmed}".encode(), hashlib.sha256).hexdigest()


def _padded_keys(key: bytes, domain: str) -> tuple[bytes, bytes]:
    """(K xor ipad, K xor opad) with K hashed if longer than a block, then zero-padded."""
    if not key:
        raise ValueError("the pseudonym key is empty")
    if not _DOMAIN_SHAPE.fullmatch(domain):
        raise ValueError(f"pseudonym domain must be lowercase words joined by '-': {domain!r}")
    if len(key) > _BLOCK_SIZE:
        key = hashlib.sha256(key).digest()
    block = key.ljust(_BLOCK_SIZE, b"\x00")
    return bytes(b ^ 0x36 for b in block), bytes(b ^ 0x5C for b in block)

from __future__ import annotations

import pytest

ENGINES = {"sail": "spark", "jvm": "jvm_spark"}


@pytest.fixture(params=list(ENGINES), scope="module")
def engine(request):
    """Each parity test runs once per engine; the JVM one skips where Java is absent."""
    return request.getfixturevalue(ENGINES[request.param])


@pytest.fixture(scope="session")
def key() -> bytes:
    return b"test-key-for-privacy-parity-0001"


@pytest.fixture(scope="session")
def long_key() -> bytes:
    """Longer than SHA-256's 64-byte block, so HMAC must hash it first (RFC 2104)."""
    return ("a longer test key, past the sixty-four byte block, " * 2).encode()

from __future__ import annotations

import pytest

from healthcare_dataops.privacy import keys


def test_key_bytes_is_utf8():
    assert keys.key_bytes("clé-de-pseudonymes-ü") == "clé-de-pseudonymes-ü".encode()


def test_sixteen_characters_is_enough():
    assert keys.key_bytes("x" * 16) == b"x" * 16


@pytest.mark.parametrize("value", ["", "s3cret-shortkey"], ids=["empty", "15-characters"])
def test_empty_or_short_key_is_refused_naming_the_variable_not_the_value(value):
    with pytest.raises(ValueError, match=keys.PSEUDONYM_KEY_ENV) as refused:
        keys.key_bytes(value)
    assert not value or value not in str(refused.value)


def test_development_key_is_labelled_usable_and_recognised():
    assert "DEVELOPMENT" in keys.DEVELOPMENT_KEY
    assert keys.key_bytes(keys.DEVELOPMENT_KEY)
    assert keys.is_development_key(keys.DEVELOPMENT_KEY)
    assert not keys.is_development_key("a-real-secret-from-the-vault")

"""Small column helpers every transform needs, safe under Spark 4's ANSI mode."""

from __future__ import annotations

from pyspark.sql import Column
from pyspark.sql import functions as F

# [0-9], not \d: Rust's \d (Sail) also matches Arabic-Indic and other Unicode digits, which
# Sail's cast then refuses with an error, where JVM Spark's \d never matches them (null).
# \z, not $: Java's $ (JVM Spark) also matches before a trailing line break, so "12\n" was a
# number (cast trims it) on JVM Spark and null on Sail. Every regex in the transforms keeps
# to this ASCII-only, \z-anchored subset that both engines read alike.
NUMBER = r"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?\z"


def to_double(text: Column) -> Column:
    """Text → double, null where it is not a number (a bare cast raises under ANSI mode)."""
    value = F.trim(text)
    return F.when(value.rlike(NUMBER), value.cast("double"))


def first_component(text: Column, separator: str = "^") -> Column:
    """The first component of the first repetition of an HL7 field, or of any delimited text."""
    return F.nullif(F.substring_index(F.substring_index(text, "~", 1), separator, 1), F.lit(""))


def reason(*rules: tuple[Column, str]) -> Column:
    """The first rule that applies, as the quarantine reason; null when the row is good."""
    return F.coalesce(*[F.when(condition, F.lit(text)) for condition, text in rules])

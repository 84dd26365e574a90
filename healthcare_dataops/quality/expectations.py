"""Expectation building blocks every silver and gold suite reuses.

GX is imported inside the functions: loading the Definitions must not pay its import.
"""

from __future__ import annotations


def gxe():
    import great_expectations.expectations as expectations

    return expectations


def schema(columns) -> list:
    return [gxe().ExpectTableColumnsToMatchSet(column_set=list(columns), exact_match=True)]


def not_null(*columns: str) -> list:
    return [gxe().ExpectColumnValuesToNotBeNull(column=c) for c in columns]


def unique_key(*columns: str) -> list:
    if len(columns) == 1:
        return [gxe().ExpectColumnValuesToBeUnique(column=columns[0])]
    return [gxe().ExpectCompoundColumnsToBeUnique(column_list=list(columns))]


def in_set(column: str, values) -> list:
    return [gxe().ExpectColumnValuesToBeInSet(column=column, value_set=sorted(values))]


def between(column: str, low=None, high=None, mostly: float = 1.0) -> list:
    return [gxe().ExpectColumnValuesToBeBetween(column=column, min_value=low, max_value=high, mostly=mostly)]


def known_patients(flag_column: str) -> list:
    """Referential integrity: the loader flags rows whose patient silver does not know."""
    return [gxe().ExpectColumnValuesToBeNull(column=flag_column)]


def fresh(days_behind_column: str) -> list:
    """The run's last delivery day has rows: the feed is not behind."""
    return [gxe().ExpectColumnMinToBeBetween(column=days_behind_column, min_value=0, max_value=0)]

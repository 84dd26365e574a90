"""What one GX suite run found, as plain dataclasses that the rest of the project reads.

Built from GX's ``ExpectationValidationResult`` objects by attribute access only, so this
module never imports Great Expectations (keeps Dagster's definition load fast).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

MAX_EXAMPLES = 5
MAX_EXAMPLE_CHARS = 40
_MAX_KWARGS_CHARS = 120
# The kwargs that name the columns an expectation reads; ``column_set`` is a table's
# expected schema, not a column the expectation reads values from.
COLUMN_KWARGS = ("column", "column_A", "column_B", "column_list")
_NOT_SHOWN_KWARGS = {"batch_id", "result_format", *COLUMN_KWARGS}


@dataclass(frozen=True)
class ExpectationOutcome:
    """One expectation's verdict. ``examples`` are raw data: callers decide who sees them."""

    expectation_type: str
    columns: tuple[str, ...]
    kwargs: str
    success: bool
    unexpected_count: int | None = None
    unexpected_percent: float | None = None
    examples: tuple[str, ...] = ()
    observed: str | None = None
    exception: str | None = None
    missing_columns: tuple[str, ...] = ()
    # Rows the expectation looked at, and of them the nulls (a map expectation's denominator
    # is the rows less the nulls): what adding up chunks needs.
    element_count: int | None = None
    missing_count: int | None = None


@dataclass(frozen=True)
class SuiteResult:
    suite_name: str
    success: bool
    evaluated_rows: int
    outcomes: list[ExpectationOutcome] = field(default_factory=list)

    @property
    def failures(self) -> list[ExpectationOutcome]:
        return [outcome for outcome in self.outcomes if not outcome.success]


def short_text(value: object, limit: int = MAX_EXAMPLE_CHARS) -> str:
    """``value`` as at most ``limit`` characters; a cut is marked with an ellipsis."""
    text = "null" if value is None else str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def outcome_from_gx(result: Any, frame_columns: Iterable[object]) -> ExpectationOutcome:
    """Turn one GX ``ExpectationValidationResult`` into an ``ExpectationOutcome``."""
    config = result.expectation_config
    kwargs = dict(config.kwargs)
    details = dict(result.result or {})
    columns = _columns_of(kwargs)
    present = {str(name) for name in frame_columns}
    exception = _exception_message(result.exception_info)
    return ExpectationOutcome(
        expectation_type=config.type,
        columns=columns,
        kwargs=summarize_kwargs(kwargs),
        # GX already reports a raised expectation as unsuccessful; be explicit anyway.
        success=bool(result.success) and exception is None,
        unexpected_count=details.get("unexpected_count"),
        unexpected_percent=details.get("unexpected_percent"),
        examples=_examples(details),
        observed=None if "observed_value" not in details else short_text(details["observed_value"]),
        exception=exception,
        missing_columns=tuple(column for column in columns if column not in present),
        element_count=details.get("element_count"),
        missing_count=details.get("missing_count"),
    )


def summarize_kwargs(kwargs: Mapping[str, Any]) -> str:
    """The arguments that matter to a reader, with long value lists reduced to a count."""
    parts = [
        f"{name}={_summarize_value(value)}"
        for name, value in kwargs.items()
        if name not in _NOT_SHOWN_KWARGS and value is not None
    ]
    return short_text(", ".join(parts), _MAX_KWARGS_CHARS)


def _summarize_value(value: Any) -> str:
    if isinstance(value, list | tuple | set | frozenset):
        if len(value) > MAX_EXAMPLES:
            return f"<{len(value)} values>"
        return "[" + ", ".join(short_text(item, 20) for item in value) + "]"
    return short_text(value, 40)


def _columns_of(kwargs: Mapping[str, Any]) -> tuple[str, ...]:
    columns: list[str] = []
    for name in COLUMN_KWARGS:
        value = kwargs.get(name)
        if isinstance(value, str):
            columns.append(value)
        elif isinstance(value, list | tuple):
            columns.extend(str(item) for item in value)
    return tuple(columns)


def _examples(details: Mapping[str, Any]) -> tuple[str, ...]:
    """Up to five distinct offending values, the most frequent first."""
    counts = details.get("partial_unexpected_counts") or []
    # GX puts {"error": ...} here instead of counts when values are unhashable.
    if counts and all("value" in entry for entry in counts):
        raw: list[Any] = [entry["value"] for entry in counts]
    elif details.get("partial_unexpected_list"):
        raw = list(details["partial_unexpected_list"])
    else:
        raw = _schema_mismatches(details.get("details"))
    distinct = dict.fromkeys(short_text(value) for value in raw)
    return tuple(distinct)[:MAX_EXAMPLES]


def _schema_mismatches(details: Any) -> list[str]:
    """Schema expectations report missing/unexpected column names instead of values."""
    mismatched = details.get("mismatched") if isinstance(details, Mapping) else None
    if isinstance(mismatched, Mapping):
        return [f"{kind}: {name}" for kind, names in mismatched.items() for name in names]
    if isinstance(mismatched, list):
        return [str(entry) for entry in mismatched]
    return []


def _exception_message(info: Any) -> str | None:
    """GX nests exception info by metric id when a metric failed, flat otherwise."""
    if not isinstance(info, Mapping):
        return None
    if info.get("raised_exception"):
        return str(info.get("exception_message") or "GX raised an exception")
    for nested in info.values():
        if isinstance(nested, Mapping) and nested.get("raised_exception"):
            return str(nested.get("exception_message") or "GX raised an exception")
    return None

"""A suite result as Dagster check metadata, with example values only where the table owner
allows them (the design rule: checks report counts and examples, never PHI)."""

from __future__ import annotations

from collections.abc import Sequence

import dagster as dg

from healthcare_dataops.quality.suite_result import ExpectationOutcome, SuiteResult

HIDDEN = "(hidden)"
_HEADER = (
    "| expectation | column | arguments | passed | unexpected | unexpected % | examples |\n"
    "|---|---|---|---|---|---|---|"
)


def values_may_be_shown(outcome: ExpectationOutcome, allowed: set[str] | None) -> bool:
    """Values from the data are shown only if every column the expectation reads is allowed.

    Table-level expectations (row counts, schema) read no column: what they report is a
    count or column names, never a cell's value.
    """
    if not outcome.columns:
        return True
    return allowed is not None and set(outcome.columns) <= allowed


def check_metadata(
    result: SuiteResult,
    example_columns_allowed: set[str] | None,
    partition_keys: Sequence[str] | None = None,
) -> dict[str, dg.MetadataValue]:
    metadata: dict[str, dg.MetadataValue] = {
        "rows_evaluated": dg.MetadataValue.int(result.evaluated_rows),
        "expectations_evaluated": dg.MetadataValue.int(len(result.outcomes)),
        "failed_expectations": dg.MetadataValue.int(len(result.failures)),
        "outcomes": dg.MetadataValue.md(outcomes_markdown(result.outcomes, example_columns_allowed)),
    }
    if partition_keys:
        metadata["partitions"] = dg.MetadataValue.text(_describe_partitions(partition_keys))
    return metadata


def outcomes_markdown(
    outcomes: Sequence[ExpectationOutcome], example_columns_allowed: set[str] | None
) -> str:
    if not outcomes:
        return "No expectations in this suite."
    rows = [_row(outcome, values_may_be_shown(outcome, example_columns_allowed)) for outcome in outcomes]
    return "\n".join([_HEADER, *rows])


def _row(outcome: ExpectationOutcome, show_values: bool) -> str:
    cells = [
        outcome.expectation_type,
        ", ".join(outcome.columns) or "(table)",
        outcome.kwargs,
        "yes" if outcome.success else "**no**",
        "" if outcome.unexpected_count is None else str(outcome.unexpected_count),
        "" if outcome.unexpected_percent is None else f"{outcome.unexpected_percent:.2f}",
        _evidence(outcome, show_values),
    ]
    return "| " + " | ".join(_escape(cell) for cell in cells) + " |"


def _evidence(outcome: ExpectationOutcome, show_values: bool) -> str:
    if outcome.missing_columns:
        # Column names are schema, not data: always safe, and the usual cause of an error.
        return "missing column: " + ", ".join(outcome.missing_columns)
    if outcome.exception:
        # A GX/pandas error message can quote a cell ("could not convert 'Jane'...").
        return "error: " + (outcome.exception if show_values else HIDDEN)
    if outcome.success:
        return ""
    parts = []
    if outcome.examples:
        parts.append(", ".join(outcome.examples) if show_values else HIDDEN)
    if outcome.observed is not None:
        parts.append("observed " + (outcome.observed if show_values else HIDDEN))
    return "; ".join(parts)


def _escape(cell: str) -> str:
    return cell.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ").replace("\r", " ")


def _describe_partitions(keys: Sequence[str]) -> str:
    if len(keys) == 1:
        return keys[0]
    return f"{keys[0]} .. {keys[-1]} ({len(keys)} partitions)"

"""Great Expectations suites over a run's rows a chunk at a time, added up into one result.

A backfill's batch of a big table does not fit in pandas at once, so each expectation is
validated where its answer adds up:

* row by row (GX column-map expectations: not null, in a set, between): on every chunk, with
  only the columns the suites read, by one GX validation per chunk; counts are summed and a
  ``mostly`` judged on the sums;
* on the table's columns (``ExpectTableColumnsToMatchSet``): once, on an empty frame with the
  table's schema;
* on a key across the whole run (unique values, unique compound keys): by the batch itself
  (the engine groups the run's keys), not by GX, whose pandas uniqueness needs every row;
* on the run's days (freshness, on the ``days behind`` column): once, on a frame of one row
  per day that has rows;
* any other aggregate (a column's mean, its distinct values): on the batch's one chunk; a batch
  of several chunks cannot answer it and raises.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Protocol

import pandas

from healthcare_dataops.quality.gx_runner import validate
from healthcare_dataops.quality.suite_result import MAX_EXAMPLES, ExpectationOutcome, SuiteResult, summarize_kwargs

if TYPE_CHECKING:
    from great_expectations.expectations import Expectation

DAYS_BEHIND = "days_behind_run"
_UNIQUE = {"ExpectColumnValuesToBeUnique", "ExpectCompoundColumnsToBeUnique"}
_SCHEMA = {"ExpectTableColumnsToMatchSet"}


class CheckBatch(Protocol):
    """A run's rows of one table, as its checks read them."""

    #: Every column a row of the batch has (derived flags included): what the schema is.
    columns: tuple[str, ...]
    #: The column naming each row's delivery day (None: the table has none), and the run's
    #: last day (None: the run has no days).
    day_column: str | None
    last_day: str | None

    def chunks(self, columns: Sequence[str]) -> Iterator[pandas.DataFrame]:
        """The batch's rows with ``columns`` (and ``day_column``), a bounded chunk at a time."""

    def duplicate_keys(self, keys: Sequence[str]) -> tuple[int, list[str]]:
        """Rows of the batch whose ``keys`` another row has too, and a few such keys."""


@dataclass
class _Tally:
    """One expectation's outcome so far, over the chunks seen."""

    outcome: ExpectationOutcome | None = None
    chunks: int = 0


def validate_in_chunks(batch: CheckBatch, suites: Mapping[str, Sequence[Expectation]]) -> dict[str, SuiteResult]:
    """Each suite's result over the whole batch."""
    declared = [(name, index, e) for name, expectations in suites.items() for index, e in enumerate(expectations)]
    kinds = {id(e): _kind(e) for _, _, e in declared}
    outcomes: dict[int, ExpectationOutcome] = {}
    per_chunk = [e for _, _, e in declared if kinds[id(e)] in ("rows", "aggregate")]
    tallies, evaluated, days = _over_chunks(batch, per_chunk)
    for e in per_chunk:
        tally = tallies[id(e)]
        if kinds[id(e)] == "aggregate" and tally.chunks > 1:
            raise ValueError(f"{_type(e)} on {getattr(e, 'column', '')!r} needs the whole batch, which came in "
                             f"{tally.chunks} chunks: give the table's checks one chunk, or a per-row expectation")
        outcomes[id(e)] = tally.outcome
    schema = [e for _, _, e in declared if kinds[id(e)] == "schema"]
    if schema:
        empty = pandas.DataFrame(columns=list(batch.columns))
        for e, outcome in zip(schema, validate(empty, "schema", schema).outcomes, strict=False):
            outcomes[id(e)] = outcome
    for _, _, e in declared:
        if kinds[id(e)] == "unique":
            outcomes[id(e)] = _uniqueness(batch, e)
    freshness = [e for _, _, e in declared if kinds[id(e)] == "days"]
    if freshness:
        summary = _days_behind(days, batch.last_day)
        for e, outcome in zip(freshness, validate(summary, "days", freshness).outcomes, strict=False):
            outcomes[id(e)] = outcome
    results = {}
    for name, expectations in suites.items():
        found = [outcomes[id(e)] for e in expectations]
        results[name] = SuiteResult(name, all(o.success for o in found), evaluated, found)
    return results


def _over_chunks(batch: CheckBatch, expectations: list) -> tuple[dict[int, _Tally], int, dict[str, int]]:
    tallies = {id(e): _Tally() for e in expectations}
    columns = sorted({c for e in expectations for c in _columns(e)} | ({batch.day_column} - {None}))
    evaluated = 0
    days: dict[str, int] = {}
    for chunk in batch.chunks(columns):
        evaluated += len(chunk)
        if batch.day_column is not None:
            for day, rows in chunk[batch.day_column].value_counts().items():
                key = day.isoformat() if isinstance(day, dt.date) else str(day)
                days[key] = days.get(key, 0) + int(rows)
        if not expectations:
            continue
        result = validate(chunk, "chunk", expectations)
        for e, outcome in zip(expectations, result.outcomes, strict=False):
            tally = tallies[id(e)]
            tally.outcome = outcome if tally.outcome is None else _add(tally.outcome, outcome, e)
            tally.chunks += 1
    for e in expectations:
        if tallies[id(e)].outcome is None:  # no rows at all: GX on an empty frame says what it says
            empty = pandas.DataFrame({c: pandas.Series(dtype=object) for c in columns})
            tallies[id(e)].outcome = validate(empty, "empty", [e]).outcomes[0]
    return tallies, evaluated, days


def _add(so_far: ExpectationOutcome, chunk: ExpectationOutcome, expectation) -> ExpectationOutcome:
    unexpected = (so_far.unexpected_count or 0) + (chunk.unexpected_count or 0)
    elements = (so_far.element_count or 0) + (chunk.element_count or 0)
    missing = (so_far.missing_count or 0) + (chunk.missing_count or 0)
    judged = elements - missing
    percent = 100.0 * unexpected / judged if judged else (0.0 if so_far.unexpected_percent is not None else None)
    mostly = getattr(expectation, "mostly", 1) or 1
    within = judged == 0 or unexpected / judged <= 1 - mostly + 1e-12
    errored = so_far.exception or chunk.exception
    return replace(
        so_far,
        success=bool(within and not errored and (mostly < 1 or (so_far.success and chunk.success))),
        unexpected_count=(unexpected if so_far.unexpected_count is not None or chunk.unexpected_count is not None
                          else None),
        unexpected_percent=percent,
        examples=tuple(dict.fromkeys(so_far.examples + chunk.examples))[:MAX_EXAMPLES],
        observed=chunk.observed if chunk.observed is not None else so_far.observed,
        exception=errored,
        missing_columns=tuple(dict.fromkeys(so_far.missing_columns + chunk.missing_columns)),
        element_count=elements,
        missing_count=missing,
    )


def _uniqueness(batch: CheckBatch, expectation) -> ExpectationOutcome:
    keys = tuple(_columns(expectation))
    missing = tuple(k for k in keys if k not in batch.columns)
    if missing:
        return ExpectationOutcome(_type(expectation), keys, _kwargs(expectation), False, missing_columns=missing)
    duplicated, examples = batch.duplicate_keys(keys)
    return ExpectationOutcome(
        _type(expectation), keys, _kwargs(expectation), duplicated == 0,
        unexpected_count=duplicated, examples=tuple(examples[:MAX_EXAMPLES]),
    )


def _days_behind(rows_per_day: Mapping[str, int], last_day: str | None) -> pandas.DataFrame:
    if last_day is None:
        return pandas.DataFrame({DAYS_BEHIND: pandas.Series(dtype="int64")})
    last = dt.date.fromisoformat(last_day)
    behind = [(last - dt.date.fromisoformat(day)).days for day, rows in sorted(rows_per_day.items()) if rows]
    return pandas.DataFrame({DAYS_BEHIND: pandas.Series(behind, dtype="int64")})


def _kind(expectation) -> str:
    name = type(expectation).__name__
    if name in _SCHEMA:
        return "schema"
    if name in _UNIQUE:
        return "unique"
    if DAYS_BEHIND in _columns(expectation):
        return "days"
    from great_expectations.expectations.expectation import ColumnMapExpectation

    return "rows" if isinstance(expectation, ColumnMapExpectation) else "aggregate"


def _columns(expectation) -> list[str]:
    found = []
    for name in ("column", "column_A", "column_B"):
        value = getattr(expectation, name, None)
        if isinstance(value, str):
            found.append(value)
    found.extend(getattr(expectation, "column_list", None) or [])
    return found


def _type(expectation) -> str:
    return expectation.expectation_type


def _kwargs(expectation) -> str:
    return summarize_kwargs(expectation.configuration.kwargs)

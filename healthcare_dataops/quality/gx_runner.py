"""The one place that runs Great Expectations (GX 1.x) on a pandas frame.

``validate(frame, suite_name, expectations)`` builds a fresh suite from plain GX expectation
objects (``great_expectations.expectations``), runs it against the whole frame and returns a
``SuiteResult``. ``import great_expectations`` takes about 3 s, so it happens inside the
functions here, on first use, never when Dagster loads the definitions.

Large ``value_set``s are slow in GX 1.24: it re-serializes every expectation's kwargs about a
hundred times per run (50,000 values: about 30 s). Compare against large sets in pandas first
(``flag_unknown_values``) and expect the flag column to be null.
"""

from __future__ import annotations

import functools
import logging
import os
import threading
from collections.abc import Collection, Sequence
from typing import TYPE_CHECKING, Any

import pandas

from healthcare_dataops.quality.suite_result import SuiteResult, outcome_from_gx

if TYPE_CHECKING:
    from great_expectations.core.batch_definition import BatchDefinition
    from great_expectations.data_context import AbstractDataContext
    from great_expectations.expectations import Expectation

# SUMMARY gives unexpected counts and a few offending values without dumping rows.
RESULT_FORMAT = {"result_format": "SUMMARY", "partial_unexpected_count": 5}
LARGE_VALUE_SET = 1_000

log = logging.getLogger(__name__)
# The cached context and its suite store are shared: one validation at a time per process.
_gx_lock = threading.Lock()


def validate(
    frame: pandas.DataFrame, suite_name: str, expectations: Sequence[Expectation]
) -> SuiteResult:
    """Run ``expectations`` as the suite ``suite_name`` against all rows of ``frame``."""
    if not expectations:
        return SuiteResult(suite_name=suite_name, success=True, evaluated_rows=len(frame))
    _warn_about_large_value_sets(suite_name, expectations)
    import great_expectations as gx

    with _gx_lock:
        context, batch_definition = _ephemeral_context()
        # Copies with no id: GX stamps ids on expectations it stores and refuses to add an
        # expectation that already has one, so the caller's objects stay reusable.
        fresh = [expectation.copy(update={"id": None}) for expectation in expectations]
        suite = context.suites.add_or_update(gx.ExpectationSuite(name=suite_name, expectations=fresh))
        try:
            batch = batch_definition.get_batch(batch_parameters={"dataframe": frame})
            validation = batch.validate(suite, result_format=RESULT_FORMAT)
        finally:
            # Nothing outlives the call: the next call with this name starts clean.
            context.suites.delete(suite_name)

    # GX returns results grouped by metric, not in the order the suite declares them.
    position = {expectation.id: index for index, expectation in enumerate(suite.expectations)}
    ordered = sorted(
        validation.results,
        key=lambda result: position.get(result.expectation_config.id, len(position)),
    )
    outcomes = [outcome_from_gx(result, frame.columns) for result in ordered]
    return SuiteResult(
        suite_name=suite_name,
        success=all(outcome.success for outcome in outcomes),
        evaluated_rows=len(frame),
        outcomes=outcomes,
    )


def flag_unknown_values(
    frame: pandas.DataFrame, column: str, known: Collection[Any], flag_column: str
) -> pandas.DataFrame:
    """A copy of ``frame`` whose ``flag_column`` holds ``column``'s value where it is not in
    ``known`` and null elsewhere (nulls stay null: not-null is a separate expectation).

    Referential integrity against thousands of ids: pair this with
    ``ExpectColumnValuesToBeNull(column=flag_column)``; its examples are the unknown ids.
    """
    values = frame[column]
    known_set = known if isinstance(known, set | frozenset) else set(known)
    is_unknown = values.notna() & ~values.isin(known_set)
    return frame.assign(**{flag_column: values.where(is_unknown)})


@functools.cache
def _ephemeral_context() -> tuple[AbstractDataContext, BatchDefinition]:
    """One in-memory GX context per process, with a pandas source for whole frames."""
    # GX 1.24 ships no analytics client; the variable keeps it off should one return.
    os.environ["GX_ANALYTICS_ENABLED"] = "false"
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    asset = context.data_sources.add_pandas("quality_frames").add_dataframe_asset("frame")
    return context, asset.add_batch_definition_whole_dataframe("whole_frame")


def _warn_about_large_value_sets(suite_name: str, expectations: Sequence[Expectation]) -> None:
    for expectation in expectations:
        # The pydantic fields directly: ``.configuration`` is the very copy that is slow.
        for name, value in vars(expectation).items():
            if isinstance(value, list | tuple | set) and len(value) > LARGE_VALUE_SET:
                log.warning(
                    "%s: %s has %d values in %s; GX 1.24 gets slow with large sets, "
                    "compare in pandas with flag_unknown_values instead",
                    suite_name, expectation.expectation_type, len(value), name,
                )

"""Suites over a batch a chunk at a time give what one validation of all rows gives."""

from __future__ import annotations

import datetime as dt

import great_expectations.expectations as gxe
import pandas
import pytest

from healthcare_dataops.quality import validate
from healthcare_dataops.quality.chunked_validation import DAYS_BEHIND, validate_in_chunks
from healthcare_dataops.quality.expectations import fresh, schema
from healthcare_dataops_tests.quality.frames import FrameBatch

DAYS = [dt.date(2026, 1, d) for d in (1, 1, 2, 2, 2, 3, 3)]
FRAME = pandas.DataFrame({
    "patient_id": ["p1", "p2", "p3", None, "p5", "p6", "p6"],
    "heart_rate": [61, 300, 72, 70, None, 15, 80],
    "measure": ["heart_rate", "heart_rate", "steps", "heart_rate", "heart_rate", "x", "heart_rate"],
    "delivery_date": DAYS,
})
ROW_LEVEL = [
    gxe.ExpectColumnValuesToNotBeNull(column="patient_id"),
    gxe.ExpectColumnValuesToBeBetween(column="heart_rate", min_value=20, max_value=250),
    gxe.ExpectColumnValuesToBeInSet(column="measure", value_set=["heart_rate", "steps"]),
    gxe.ExpectColumnValuesToBeBetween(column="heart_rate", min_value=20, max_value=250, mostly=0.6),
]


def _comparable(outcome):
    return (outcome.expectation_type, outcome.success, outcome.unexpected_count,
            None if outcome.unexpected_percent is None else round(outcome.unexpected_percent, 6))


@pytest.mark.parametrize("chunk_rows", [1, 2, 3, 7])
def test_row_level_expectations_add_up_to_the_whole_frame(chunk_rows):
    whole = validate(FRAME, "whole", ROW_LEVEL)
    chunked = validate_in_chunks(FrameBatch(FRAME, chunk_rows, "delivery_date", "2026-01-03"), {"s": ROW_LEVEL})["s"]
    assert [_comparable(o) for o in chunked.outcomes] == [_comparable(o) for o in whole.outcomes]
    assert chunked.evaluated_rows == whole.evaluated_rows == 7
    assert [o.success for o in chunked.outcomes] == [False, False, False, True]
    assert set(chunked.outcomes[1].examples) == {"300", "15"} or set(chunked.outcomes[1].examples) == {"300.0", "15.0"}


def test_keys_are_unique_over_the_whole_batch_not_per_chunk():
    unique = gxe.ExpectColumnValuesToBeUnique(column="patient_id")
    # p6 twice, in rows 6 and 7: chunks of one row never see both.
    [outcome] = validate_in_chunks(FrameBatch(FRAME, 1, "delivery_date", "2026-01-03"), {"s": [unique]})["s"].outcomes
    assert not outcome.success and outcome.unexpected_count == 2 and outcome.examples == ("p6",)


def test_the_schema_is_judged_on_the_tables_columns():
    batch = FrameBatch(FRAME, 2, "delivery_date", "2026-01-03")
    results = validate_in_chunks(batch, {"ok": schema(FRAME.columns), "bad": schema(["patient_id"])})
    assert results["ok"].success and not results["bad"].success


def test_freshness_asks_whether_the_runs_last_day_has_rows():
    behind = FrameBatch(FRAME, 2, "delivery_date", "2026-01-04")
    current = FrameBatch(FRAME, 2, "delivery_date", "2026-01-03")
    assert not validate_in_chunks(behind, {"s": fresh(DAYS_BEHIND)})["s"].success
    assert validate_in_chunks(current, {"s": fresh(DAYS_BEHIND)})["s"].success


def test_an_aggregate_over_several_chunks_is_refused_and_over_one_chunk_judged():
    mean = gxe.ExpectColumnMeanToBeBetween(column="heart_rate", min_value=0, max_value=100)
    with pytest.raises(ValueError, match="needs the whole batch"):
        validate_in_chunks(FrameBatch(FRAME, 2), {"s": [mean]})
    [outcome] = validate_in_chunks(FrameBatch(FRAME, 7), {"s": [mean]})["s"].outcomes
    assert outcome.success and outcome.observed.startswith("99.6")


def test_an_empty_batch_passes_row_level_expectations():
    empty = FRAME.iloc[0:0]
    result = validate_in_chunks(FrameBatch(empty, 2, "delivery_date", "2026-01-03"), {"s": ROW_LEVEL})["s"]
    assert result.success and result.evaluated_rows == 0

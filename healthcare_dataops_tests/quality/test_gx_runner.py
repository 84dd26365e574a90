"""The GX runner on small frames: verdicts, counts, examples, and errors as failures."""

from __future__ import annotations

import great_expectations.expectations as gxe
import pandas
import pytest

from healthcare_dataops.quality import flag_unknown_values, validate


@pytest.fixture
def visits() -> pandas.DataFrame:
    return pandas.DataFrame(
        {
            "patient_id": ["p1", "p2", None, "p2"],
            "age": [34, 200, 51, None],
            "sex": ["F", "M", "X", "F"],
        }
    )


def outcome_by_type(result, expectation_type):
    [outcome] = [o for o in result.outcomes if o.expectation_type == expectation_type]
    return outcome


def test_a_clean_frame_passes_every_expectation():
    frame = pandas.DataFrame({"patient_id": ["p1", "p2"], "age": [3, 90]})
    result = validate(frame, "clean", [
        gxe.ExpectColumnValuesToNotBeNull(column="patient_id"),
        gxe.ExpectColumnValuesToBeUnique(column="patient_id"),
        gxe.ExpectColumnValuesToBeBetween(column="age", min_value=0, max_value=120),
        gxe.ExpectTableColumnsToMatchSet(column_set=["patient_id", "age"], exact_match=True),
    ])
    assert result.success
    assert result.evaluated_rows == 2
    assert [o.success for o in result.outcomes] == [True] * 4
    assert result.failures == []
    assert result.outcomes[0].unexpected_count == 0


def test_failures_carry_counts_and_distinct_examples_in_declared_order(visits):
    result = validate(visits, "visits", [
        gxe.ExpectColumnValuesToNotBeNull(column="patient_id"),
        gxe.ExpectColumnValuesToBeUnique(column="patient_id"),
        gxe.ExpectColumnValuesToBeBetween(column="age", min_value=0, max_value=120),
        gxe.ExpectColumnValuesToBeInSet(column="sex", value_set=["F", "M"]),
    ])
    assert not result.success
    assert [o.expectation_type for o in result.outcomes] == [
        "expect_column_values_to_not_be_null",
        "expect_column_values_to_be_unique",
        "expect_column_values_to_be_between",
        "expect_column_values_to_be_in_set",
    ]
    not_null, unique, between, in_set = result.outcomes
    assert (not_null.unexpected_count, not_null.unexpected_percent, not_null.examples) == (1, 25.0, ("null",))
    # Two rows share p2; the example lists the value once.
    assert (unique.unexpected_count, unique.examples) == (2, ("p2",))
    assert (between.unexpected_count, between.examples, between.columns) == (1, ("200.0",), ("age",))
    assert between.kwargs == "min_value=0.0, max_value=120.0"
    assert (in_set.unexpected_count, in_set.examples) == (1, ("X",))
    assert in_set.kwargs == "value_set=[F, M]"
    assert all(o.exception is None for o in result.outcomes)


def test_schema_expectations_name_missing_and_unexpected_columns(visits):
    result = validate(visits, "schema", [
        gxe.ExpectTableColumnsToMatchSet(column_set=["patient_id", "age", "zip3"], exact_match=True),
        gxe.ExpectColumnToExist(column="zip3"),
    ])
    schema, exists = result.outcomes
    assert not schema.success and schema.columns == ()
    assert set(schema.examples) == {"missing: zip3", "unexpected: sex"}
    assert not exists.success and exists.columns == ("zip3",)


def test_an_expectation_on_a_missing_column_fails_without_stopping_the_others(visits):
    result = validate(visits, "missing", [
        gxe.ExpectColumnValuesToNotBeNull(column="no_such_column"),
        gxe.ExpectColumnValuesToBeInSet(column="sex", value_set=["F", "M", "X"]),
    ])
    broken, fine = result.outcomes
    assert not result.success
    assert not broken.success
    assert "no_such_column" in broken.exception
    assert broken.missing_columns == ("no_such_column",)
    assert fine.success and fine.exception is None


def test_examples_are_at_most_five_and_cut_to_forty_characters():
    codes = [f"{letter * 60}" for letter in "abcdefgh"]
    result = validate(pandas.DataFrame({"code": codes}), "long", [
        gxe.ExpectColumnValuesToBeInSet(column="code", value_set=["ok"]),
    ])
    [outcome] = result.outcomes
    assert outcome.unexpected_count == 8
    assert len(outcome.examples) == 5
    assert all(len(example) == 40 and example.endswith("…") for example in outcome.examples)


def test_long_value_sets_are_summarized_as_a_count():
    result = validate(pandas.DataFrame({"code": ["a"]}), "codes", [
        gxe.ExpectColumnValuesToBeInSet(column="code", value_set=list("abcdefg")),
    ])
    assert result.outcomes[0].kwargs == "value_set=<7 values>"


def test_the_same_expectation_objects_can_be_run_again_under_the_same_suite_name(visits):
    rules = [gxe.ExpectColumnValuesToBeInSet(column="sex", value_set=["F", "M"])]
    first = validate(visits, "again", rules)
    second = validate(visits.iloc[:2], "again", rules)
    assert rules[0].id is None  # the caller's object is not claimed by a stored suite
    assert (first.success, second.success) == (False, True)


def test_no_expectations_is_a_pass_without_running_gx(visits):
    result = validate(visits, "empty", [])
    assert result.success and result.outcomes == [] and result.evaluated_rows == 4


def test_unknown_references_are_flagged_in_pandas_and_reported_as_examples():
    known = {f"p{i}" for i in range(5_000)}
    frame = pandas.DataFrame({"patient_id": ["p1", "ghost", None, "p4999", "ghost", "phantom"]})
    flagged = flag_unknown_values(frame, "patient_id", known, "unknown_patient_id")
    # Known ids and missing ids are null; unknown ids keep their value.
    assert flagged["unknown_patient_id"].dropna().tolist() == ["ghost", "ghost", "phantom"]
    assert flagged["unknown_patient_id"].isna().tolist() == [True, False, True, True, False, False]
    result = validate(flagged, "references", [gxe.ExpectColumnValuesToBeNull(column="unknown_patient_id")])
    [outcome] = result.outcomes
    assert outcome.unexpected_count == 3
    assert outcome.examples == ("ghost", "phantom")

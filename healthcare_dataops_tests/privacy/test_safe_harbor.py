from __future__ import annotations

import datetime as dt
import random

import pytest
from pyspark.sql import functions as F

from healthcare_dataops.privacy import (
    RESTRICTED_ZIP3,
    age_band,
    age_band_of,
    age_years,
    age_years_of,
    birth_year,
    birth_year_of,
    zip3,
    zip3_of,
)
from healthcare_dataops.privacy.safe_harbor import (
    load_restricted_zip3,
    reference_directory,
)

HHS_RESTRICTED = {"036", "059", "063", "102", "203", "556", "692", "790", "821", "823", "830",
                  "831", "878", "879", "884", "890", "893"}
ZIPS = {
    "02155": "021", "2155": "021", " 021 55 ": "021", "02155-1234": "021", "021551234": "021",
    "90210": "902", "0215": "002", "03601-1234": "000", "abcde": None, "": None, None: None,
    "123": None, "123456": None, "02155-12": None, "02155\n": None, "0215a": None,
    "\u0661\u0662\u0663\u0664\u0665": None,  # Arabic-Indic digits: Sail's \d would take them
    **{f"{prefix}42": "000" for prefix in sorted(HHS_RESTRICTED)},  # sorted: the same ids in every worker
}
D = dt.date
# (birth date, as-of date, age, birth year, band)
AGES = [
    (D(2000, 2, 29), D(2001, 2, 28), 0, 2000, "0-17"),
    (D(2000, 2, 29), D(2001, 3, 1), 1, 2000, "0-17"),
    (D(2000, 2, 29), D(2004, 2, 28), 3, 2000, "0-17"),
    (D(2000, 2, 29), D(2004, 2, 29), 4, 2000, "0-17"),
    (D(2024, 6, 15), D(2024, 6, 15), 0, 2024, "0-17"),
    (D(2006, 6, 15), D(2024, 6, 14), 17, 2006, "0-17"),
    (D(2006, 6, 15), D(2024, 6, 15), 18, 2006, "18-44"),
    (D(1979, 1, 1), D(2024, 1, 1), 45, 1979, "45-64"),
    (D(1959, 12, 31), D(2024, 12, 31), 65, 1959, "65-74"),
    (D(1949, 7, 4), D(2024, 7, 3), 74, 1949, "65-74"),
    (D(1949, 7, 4), D(2024, 7, 4), 75, 1949, "75-89"),
    (D(1934, 6, 15), D(2024, 6, 14), 89, 1934, "75-89"),
    (D(1934, 6, 15), D(2024, 6, 15), 90, None, "90+"),
    (D(1910, 1, 1), D(2024, 6, 15), 114, None, "90+"),
    (D(2025, 1, 1), D(2024, 6, 15), None, None, None),  # born after the as-of date
    (None, D(2024, 6, 15), None, None, None),
    (D(1980, 1, 1), None, None, None, None),
]


def test_restricted_zip3_is_the_hhs_list():
    assert RESTRICTED_ZIP3 == HHS_RESTRICTED


def test_missing_reference_data_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"restricted_zip3\.csv.*nowhere"):
        reference_directory((tmp_path / "nowhere",))


def test_reference_directory_falls_back_to_the_next_candidate(tmp_path):
    (tmp_path / "restricted_zip3.csv").write_text("zip3,reason\n036,test\n")
    assert reference_directory((tmp_path / "nowhere", tmp_path)) == tmp_path


def test_prefix_that_lost_its_leading_zero_is_refused(tmp_path):
    (tmp_path / "z.csv").write_text("zip3,reason\n36,spreadsheet ate the zero\n")
    with pytest.raises(ValueError, match="three digits"):
        load_restricted_zip3(tmp_path / "z.csv")


@pytest.mark.parametrize(("value", "expected"), ZIPS.items())
def test_zip3_reference(value, expected):
    assert zip3_of(value) == expected


def test_zip3_reference_takes_a_number_that_lost_its_zero():
    assert zip3_of(2155) == "021"


def test_spark_zip3_matches_hand_computed_values(engine):
    frame = engine.createDataFrame([(value, 2155) for value in ZIPS], "zip string, number int")
    computed = frame.select("zip", zip3("zip").alias("zip3"), zip3("number").alias("n")).collect()
    assert {row["zip"]: row["zip3"] for row in computed} == ZIPS
    assert {row["n"] for row in computed} == {"021"}


@pytest.mark.parametrize(("birth", "as_of", "age", "year", "band"), AGES)
def test_age_references(birth, as_of, age, year, band):
    assert (age_years_of(birth, as_of), birth_year_of(birth, as_of),
            age_band_of(birth, as_of)) == (age, year, band)


def _age_by_counting_birthdays(birth: dt.date, as_of: dt.date) -> int:
    """An independent oracle: birthdays passed, a 29 February one falling on 1 March."""
    def birthday(year: int) -> dt.date:
        try:
            return birth.replace(year=year)
        except ValueError:
            return dt.date(year, 3, 1)
    return sum(1 for year in range(birth.year + 1, as_of.year + 1) if birthday(year) <= as_of)


def _random_date_pairs(count: int) -> list[tuple[dt.date, dt.date]]:
    rng = random.Random(20240229)
    start = dt.date(1900, 1, 1).toordinal()
    pairs = []
    for _ in range(count):
        birth = dt.date.fromordinal(rng.randrange(start, start + 45_000))
        pairs.append((birth, birth + dt.timedelta(days=rng.randrange(0, 40_000))))
    return pairs


def test_age_reference_agrees_with_counting_birthdays():
    for birth, as_of in _random_date_pairs(2000):
        assert age_years_of(birth, as_of) == _age_by_counting_birthdays(birth, as_of)


def test_spark_ages_match_references(engine):
    pairs = [(b, a) for b, a, *_ in AGES] + _random_date_pairs(300)
    frame = engine.createDataFrame(pairs, "birth date, as_of date")
    computed = frame.select(
        "birth", "as_of",
        age_years("birth", F.col("as_of")).alias("age"),
        birth_year("birth", "as_of").alias("year"),
        age_band("birth", "as_of").alias("band"),
    ).collect()
    assert len(computed) == len(pairs)
    for row in computed:
        birth, as_of = row["birth"], row["as_of"]
        expected = (age_years_of(birth, as_of), birth_year_of(birth, as_of),
                    age_band_of(birth, as_of))
        assert (row["age"], row["year"], row["band"]) == expected, (birth, as_of)

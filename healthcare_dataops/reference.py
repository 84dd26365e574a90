"""The committed reference data in ``data/reference``: code maps the silver layer conforms to."""

from __future__ import annotations

import csv
from pathlib import Path

from pyspark.sql import DataFrame, SparkSession

from healthcare_dataops import settings


def reference_dir() -> Path:
    folder = settings.project_root() / "data" / "reference"
    if not folder.is_dir():
        raise FileNotFoundError(
            f"reference data not found at {folder}: run from the project root, or in the image's "
            "working directory, where data/reference is installed"
        )
    return folder


def read_rows(name: str) -> list[dict[str, str]]:
    with (reference_dir() / name).open(newline="", encoding="utf-8") as stream:
        return list(csv.DictReader(stream))


def lab_analytes(spark: SparkSession) -> DataFrame:
    rows = [(r["loinc_code"], r["analyte"], r["canonical_unit"]) for r in read_rows("lab_analytes.csv")]
    return spark.createDataFrame(rows, "loinc_code string, analyte string, canonical_unit string")


def lab_unit_conversions(spark: SparkSession) -> DataFrame:
    rows = [
        (r["analyte"], r["from_unit"].lower(), r["to_unit"], float(r["multiply_by"]), float(r["add"]))
        for r in read_rows("lab_unit_conversions.csv")
    ]
    return spark.createDataFrame(
        rows, "conversion_analyte string, from_unit_lower string, to_unit string, multiply_by double, add double"
    )


def wearable_measures(spark: SparkSession) -> DataFrame:
    rows = [
        (
            r["source_measure"], r["measure"], r["unit_as_delivered"].lower(), r["unit"],
            float(r["multiply_by"]), float(r["add"]), float(r["plausible_min"]), float(r["plausible_max"]),
        )
        for r in read_rows("wearable_measures.csv")
    ]
    return spark.createDataFrame(
        rows,
        "source_measure string, silver_measure string, unit_lower string, silver_unit string, "
        "multiply_by double, add double, plausible_min double, plausible_max double",
    )


def readmission_cohort_codes() -> dict[str, tuple[str, ...]]:
    """The readmission measure's code lists by rule (``readmission_cohort_codes.csv``):
    planned_always, planned_when_elective, elective_admission, against_medical_advice,
    oncology_reason, procedure_reason."""
    rules: dict[str, list[str]] = {}
    for row in read_rows("readmission_cohort_codes.csv"):
        rules.setdefault(row["rule"], []).append(row["code"])
    return {rule: tuple(codes) for rule, codes in rules.items()}


def charlson_conditions() -> dict[str, tuple[str, int]]:
    """SNOMED code → (Charlson category, weight), from ``charlson_conditions.csv``."""
    return {row["code"]: (row["category"], int(row["weight"])) for row in read_rows("charlson_conditions.csv")}

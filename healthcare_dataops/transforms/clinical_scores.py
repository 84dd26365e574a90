"""The clinical baselines a readmission model is judged against, from their published points.

**LACE** (van Walraven et al., CMAJ 2010): Length of stay (<1 day 0, 1 1, 2 2, 3 3, 4-6 4,
7-13 5, 14+ 7 points), Acute admission (3), Charlson comorbidity index (0-3 as is, 4+ 5),
ED visits in the previous 6 months (one point each, at most 4). 0 to 19.

**HOSPITAL** (Donzé et al., JAMA Intern Med 2013): Hemoglobin at discharge < 12 g/dL (1),
discharge from an Oncology service (2), Sodium at discharge < 135 mmol/L (1), a Procedure
during the stay (1), Index admission urgent (1), Admissions in the previous 12 months (2-5: 2,
more than 5: 5), Length of stay 5 days or more (2). 0 to 13.

What the feeds cannot supply exactly, and how it is approximated:

* Acute / urgent admission: the EHR export has no admission type; an episode is acute unless
  its first stay's encounter code is the elective admission's (``elective_admission``).
* Charlson index: from the patient's SNOMED conditions with onset by the discharge, through
  ``data/reference/charlson_conditions.csv`` (one weight per category; diabetes with organ
  damage replaces diabetes, a metastatic tumour any malignancy). Conditions the EHR never
  codes count 0; no age points (LACE uses the index without them).
* ED visits: emergency encounters in the 182 days before the admission, not counting the one
  that led to it (an ED visit in the day before the admission).
* Oncology service: the export names no service; a stay whose reason is an oncology reason
  (``oncology_reason``) stands in for it.
* Procedure: procedures are not ingested; a stay whose reason is a procedure
  (``procedure_reason``) counts as one.
* Hemoglobin and sodium: the last result before discharge; none counts 0 points.
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from healthcare_dataops import reference

LACE = "lace_score"
HOSPITAL = "hospital_score"
BASELINES = (LACE, HOSPITAL)
# Within the Charlson index a worse category replaces its milder one.
CHARLSON_REPLACES = {"diabetes_with_organ_damage": "diabetes", "metastatic_solid_tumor": "malignancy"}


def charlson_index(
    index: DataFrame, conditions: DataFrame, weights: dict[str, tuple[str, int]] | None = None
) -> DataFrame:
    """``encounter_id`` → ``charlson_index`` as of each row's ``cutoff_at`` (rows without a
    Charlson condition are absent: the caller treats them as 0)."""
    weights = reference.charlson_conditions() if weights is None else weights
    categories = sorted({category for category, _ in weights.values()})
    category = F.lit(None).cast("string")
    weight = F.lit(None).cast("int")
    for code, (name, points) in weights.items():
        category = F.when(F.col("_code") == code, F.lit(name)).otherwise(category)
        weight = F.when(F.col("_code") == code, F.lit(points)).otherwise(weight)
    known = conditions.where(F.col("code").isin(*weights)).select(
        F.col("patient_id").alias("_patient"), F.col("code").alias("_code"), "onset_date")
    joined = index.select("encounter_id", "patient_id", "cutoff_at").join(
        known, (F.col("patient_id") == F.col("_patient")) & (F.col("onset_date") <= F.to_date(F.col("cutoff_at"))))
    per_category = joined.groupBy("encounter_id").agg(*[
        F.max(F.when(category == name, weight)).alias(name) for name in categories])
    points = [F.coalesce(F.col(name), F.lit(0)) for name in categories]
    replaced = [F.when(F.col(worse).isNotNull() & F.col(milder).isNotNull(), F.col(milder)).otherwise(F.lit(0))
                for worse, milder in CHARLSON_REPLACES.items() if worse in categories and milder in categories]
    return per_category.select("encounter_id", (sum(points) - sum(replaced, F.lit(0))).alias("charlson_index"))


def _banded(value: Column, bands: list[tuple[float, int]]) -> Column:
    """Points of the first band whose lower bound ``value`` reaches, bands from the highest."""
    points = F.lit(0)
    for low, given in sorted(bands):
        points = F.when(value >= low, F.lit(given)).otherwise(points)
    return points


def lace(length_of_stay_days: Column, acute: Column, charlson: Column, ed_visits_6m: Column) -> Column:
    length = _banded(F.floor(length_of_stay_days), [(1, 1), (2, 2), (3, 3), (4, 4), (7, 5), (14, 7)])
    comorbidity = F.when(charlson >= 4, F.lit(5)).otherwise(F.coalesce(charlson, F.lit(0)))
    return (length + F.when(acute, F.lit(3)).otherwise(F.lit(0)) + comorbidity
            + F.least(F.coalesce(ed_visits_6m, F.lit(0)), F.lit(4))).cast("int")


def hospital(hemoglobin: Column, oncology: Column, sodium: Column, procedure: Column, urgent: Column,
             admissions_12m: Column, length_of_stay_days: Column) -> Column:
    point = lambda condition, given: F.when(F.coalesce(condition, F.lit(False)), F.lit(given)).otherwise(F.lit(0))  # noqa: E731
    admissions = _banded(F.coalesce(admissions_12m, F.lit(0)), [(2, 2), (6, 5)])
    return (point(hemoglobin < 12, 1) + point(oncology, 2) + point(sodium < 135, 1) + point(procedure, 1)
            + point(urgent, 1) + admissions + point(length_of_stay_days >= 5, 2)).cast("int")

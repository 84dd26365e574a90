"""Silver → ``patient_features``: one row per discharged inpatient stay, point-in-time correct.

Each row is a stay as its episode ends (a transfer's stays are one episode,
``readmission_cohort``): admitted at the episode's first admission, cut off at the discharge.
Every feature uses only data recorded before the cutoff: labs observed before it, conditions
with onset on or before its day, encounters that started before the admission, wearable hours
that ended before it. A stay still open is described the same way with the scoring time as
cutoff (``inpatient_features``): its score is the risk if it were discharged then, on the
features it would have. All of a patient's dates carry the same shift, so these comparisons
are exact.

``cohort_exclusion`` says why a stay is not an index admission of the measure (death,
transfer out, discharge against advice); the label is null there. The label is only final once
the data reach 30 days past the discharge: ``label_complete`` says so, and is false for the
history the first export carried from before the feeds began (``before_feeds``), whose lab
results were never delivered. ``feed_day`` is when the discharge happened in real time (days
from the start of the first delivery day, unshifted: negative before the feeds), the order a
temporal split must follow; it is relative, not a date. ``lace_score`` and
``hospital_score`` are the clinical baselines (``clinical_scores``), not model inputs.
"""

from __future__ import annotations

import datetime as dt

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

from healthcare_dataops.privacy import shift_days
from healthcare_dataops.transforms import clinical_scores
from healthcare_dataops.transforms.readmission_cohort import (
    READMISSION_WINDOW_DAYS,
    CohortCodes,
    cohort_exclusion,
    index_admissions,
    open_stays,
)

DAY = 86_400
COMORBIDITIES = {
    "diabetes": ("44054006",),
    "hypertension": ("59621000",),
    "chf": ("88805009",),
    "ckd": ("431855005", "433144002"),
    "copd": ("13645005",),
    "cad": ("53741008",),
    "afib": ("49436004",),
}
KEY_LABS = ("hba1c", "glucose", "creatinine", "potassium", "sodium", "hemoglobin", "wbc")
LABEL = "readmitted_30d"
# The columns of gold patient_features after the features, none of them a model input.
OUTCOME_COLUMNS = (LABEL, "label_complete", "cohort_exclusion", "before_feeds", "feed_day", *clinical_scores.BASELINES)
# The silver tables patient_features reads, in the order it takes them.
SILVER_INPUTS = ("encounters", "patients", "conditions", "lab_results", "wearable_vitals")
# What a model learns from, in this order: the columns of both gold feature tables.
FEATURES = (
    "sex",
    "age_band",
    "age_at_discharge",
    *COMORBIDITIES,
    "admissions_6m",
    "admissions_12m",
    "ed_visits_6m",
    "ed_visits_12m",
    "comorbidity_count",
    "length_of_stay_days",
    *(f"{analyte}_{kind}" for analyte in KEY_LABS for kind in ("last", "trend")),
    "resting_hr_3d",
    "resting_hr_delta",
    "steps_per_day_7d",
    "spo2_min_7d",
    "sleep_minutes_per_day_7d",
)
# When each key lab's last value was observed: scoring keeps them to explain a score in
# clinical words; the gold feature table and the model leave them out.
LAST_LAB_TIMES = tuple(f"{analyte}_last_at" for analyte in KEY_LABS)


def _seconds_between(later: Column, earlier: Column) -> Column:
    return F.unix_timestamp(later) - F.unix_timestamp(earlier)


def _comorbidities(index: DataFrame, conditions: DataFrame) -> DataFrame:
    known = conditions.select(
        F.col("patient_id").alias("_patient"), F.col("code").alias("_code"), "onset_date"
    )
    joined = index.select("encounter_id", "patient_id", "cutoff_at").join(
        known,
        (F.col("patient_id") == F.col("_patient"))
        & (F.col("onset_date") <= F.to_date(F.col("cutoff_at"))),
    )
    flags = [
        F.max(F.col("_code").isin(*codes).cast("int")).alias(name)
        for name, codes in COMORBIDITIES.items()
    ]
    return joined.groupBy("encounter_id").agg(*flags)


def _prior_utilization(index: DataFrame, encounters: DataFrame) -> DataFrame:
    other = encounters.select(
        F.col("patient_id").alias("_patient"),
        F.col("start_at").alias("_start"),
        F.col("encounter_class").alias("_class"),
    )
    gap = _seconds_between(F.col("admitted_at"), F.col("_start"))
    joined = index.select("encounter_id", "patient_id", "admitted_at").join(
        other, (F.col("patient_id") == F.col("_patient")) & (gap > 0) & (gap <= 365 * DAY)
    )
    within = lambda days, cls: F.sum(((gap <= days * DAY) & (F.col("_class") == cls)).cast("int"))  # noqa: E731
    # Not the ED visit that led to this admission: one in the day before it.
    earlier = lambda days: F.sum(((gap > DAY) & (gap <= days * DAY) & (F.col("_class") == "emergency")).cast("int"))  # noqa: E731
    return joined.groupBy("encounter_id").agg(
        within(182, "inpatient").alias("admissions_6m"),
        within(365, "inpatient").alias("admissions_12m"),
        earlier(182).alias("ed_visits_6m"),
        earlier(365).alias("ed_visits_12m"),
    )


def _labs(index: DataFrame, labs: DataFrame) -> DataFrame:
    results = labs.where(F.col("analyte").isin(*KEY_LABS)).select(
        F.col("patient_id").alias("_patient"), "analyte", "value", "observed_at"
    )
    before = index.select("encounter_id", "patient_id", "cutoff_at").join(
        results,
        (F.col("patient_id") == F.col("_patient")) & (F.col("observed_at") < F.col("cutoff_at")),
    )
    newest_first = Window.partitionBy("encounter_id", "analyte").orderBy(
        F.col("observed_at").desc(), F.col("value").desc()
    )
    ranked = before.withColumn("_rank", F.row_number().over(newest_first)).where(F.col("_rank") <= 2)
    columns = []
    for analyte in KEY_LABS:
        last = F.max(F.when((F.col("analyte") == analyte) & (F.col("_rank") == 1), F.col("value")))
        previous = F.max(F.when((F.col("analyte") == analyte) & (F.col("_rank") == 2), F.col("value")))
        columns += [last.alias(f"{analyte}_last"), (last - previous).alias(f"{analyte}_trend")]
        # When the last value was observed: not a model input, but what a clinician reading
        # the score's explanation needs ("last measured 2 days ago").
        columns.append(F.max(F.when((F.col("analyte") == analyte) & (F.col("_rank") == 1), F.col("observed_at")))
                       .alias(f"{analyte}_last_at"))
    return ranked.groupBy("encounter_id").agg(*columns)


def _wearables(index: DataFrame, vitals: DataFrame) -> DataFrame:
    hours = vitals.select(
        F.col("patient_id").alias("_patient"), "hour_start", "measured_date", "steps",
        "spo2_min", "sleep_minutes", "resting_heart_rate",
    )
    before_cutoff = _seconds_between(F.col("cutoff_at"), F.col("hour_start"))
    admitted_gap = _seconds_between(F.col("admitted_at"), F.col("hour_start"))
    last_days = lambda days: before_cutoff <= days * DAY  # noqa: E731
    # The patient's usual resting rate: days 10 to 4 before the admission.
    baseline = (admitted_gap >= 4 * DAY) & (admitted_gap <= 10 * DAY)
    joined = index.select("encounter_id", "patient_id", "admitted_at", "cutoff_at").join(
        hours,
        (F.col("patient_id") == F.col("_patient"))
        # Only hours that ended before the discharge.
        & (before_cutoff >= 3600)
        & (last_days(7) | baseline),
    )
    days_7 = F.countDistinct(F.when(last_days(7), F.col("measured_date")))
    resting_3d = F.avg(F.when(last_days(3), F.col("resting_heart_rate")))
    return joined.groupBy("encounter_id").agg(
        resting_3d.alias("resting_hr_3d"),
        (resting_3d - F.avg(F.when(baseline, F.col("resting_heart_rate")))).alias("resting_hr_delta"),
        # Per day with data; no day with data gives null (ANSI mode raises on x / 0).
        F.when(days_7 > 0, F.sum(F.when(last_days(7), F.col("steps"))) / days_7).alias("steps_per_day_7d"),
        F.min(F.when(last_days(7), F.col("spo2_min"))).alias("spo2_min_7d"),
        F.when(days_7 > 0, F.sum(F.when(last_days(7), F.col("sleep_minutes"))) / days_7).alias(
            "sleep_minutes_per_day_7d"
        ),
    )


def _features(
    index: DataFrame, encounters: DataFrame, patients: DataFrame, conditions: DataFrame,
    labs: DataFrame, vitals: DataFrame,
) -> DataFrame:
    """Every feature of each index row, as of its ``cutoff_at``; keeps the index's columns."""
    demographics = patients.select(
        F.col("patient_id").alias("_patient"), "sex", "age_band", "birth_year"
    )
    rows = (
        index.join(demographics, F.col("patient_id") == F.col("_patient"), "left").drop("_patient")
        .join(_comorbidities(index, conditions), "encounter_id", "left")
        .join(_prior_utilization(index, encounters), "encounter_id", "left")
        .join(_labs(index, labs), "encounter_id", "left")
        .join(_wearables(index, vitals), "encounter_id", "left")
    )
    flags = list(COMORBIDITIES)
    zero_when_missing = [*flags, "admissions_6m", "admissions_12m", "ed_visits_6m", "ed_visits_12m"]
    return rows.select(
        *index.columns,
        "sex",
        "age_band",
        # 90 and over have no birth year: they count as 90.
        F.coalesce(F.year("cutoff_at") - F.col("birth_year"), F.lit(90)).alias("age_at_discharge"),
        *[F.coalesce(F.col(c), F.lit(0)).alias(c) for c in zero_when_missing],
        sum(F.coalesce(F.col(f), F.lit(0)) for f in flags).alias("comorbidity_count"),
        *[F.col(f"{a}_{kind}") for a in KEY_LABS for kind in ("last", "trend")],
        *LAST_LAB_TIMES,
        "resting_hr_3d",
        "resting_hr_delta",
        "steps_per_day_7d",
        "spo2_min_7d",
        "sleep_minutes_per_day_7d",
    )


def patient_features(
    encounters: DataFrame,
    patients: DataFrame,
    conditions: DataFrame,
    labs: DataFrame,
    vitals: DataFrame,
    *,
    key: bytes,
    feeds_began_at: dt.datetime,
    codes: CohortCodes | None = None,
    charlson_weights: dict[str, tuple[str, int]] | None = None,
) -> DataFrame:
    """``feeds_began_at``: the start of the first delivery day (UTC); ``key`` undoes each
    patient's date shift for ``feed_day``, which is relative to it."""
    codes = codes or CohortCodes.from_reference()
    index = index_admissions(encounters, codes)
    excluded = cohort_exclusion(index.select("encounter_id", "patient_id", "episode_start", "end_at",
                                             "transferred_out"), patients, conditions, codes)
    horizon = encounters.agg(F.max("delivery_date").alias("_horizon"))
    rows = (
        _features(index.drop("episode_start", "end_at", "transferred_out"), encounters, patients, conditions, labs,
                  vitals)
        .join(excluded, "encounter_id", "left")
        .join(clinical_scores.charlson_index(index, conditions, charlson_weights), "encounter_id", "left")
        .crossJoin(horizon)
    )
    real_time = F.unix_timestamp(F.col("cutoff_at")) + shift_days(F.col("patient_id"), key).cast("long") * DAY
    feed_day = (real_time - F.lit(int(feeds_began_at.timestamp()))) / DAY
    # A discharge delivered this late is final once the data reach 30 days past its delivery.
    complete = (F.datediff(F.col("_horizon"), F.col("discharge_delivery_date")) >= READMISSION_WINDOW_DAYS) & (
        feed_day >= 0)
    acute = ~F.coalesce(F.col("_elective"), F.lit(False))
    return rows.select(
        "encounter_id",
        "patient_id",
        "admitted_at",
        F.col("cutoff_at").alias("discharged_at"),
        *FEATURES,
        F.when(F.col("cohort_exclusion").isNull(), F.col("_readmitted")).alias(LABEL),
        complete.alias("label_complete"),
        "cohort_exclusion",
        (feed_day < 0).alias("before_feeds"),
        feed_day.alias("feed_day"),
        clinical_scores.lace(F.col("length_of_stay_days"), acute, F.col("charlson_index"),
                             F.col("ed_visits_6m")).alias(clinical_scores.LACE),
        clinical_scores.hospital(F.col("hemoglobin_last"), F.col("_oncology"), F.col("sodium_last"),
                                 F.col("_procedure"), acute, F.col("admissions_12m"),
                                 F.col("length_of_stay_days")).alias(clinical_scores.HOSPITAL),
    )


def inpatient_features(
    encounters: DataFrame,
    patients: DataFrame,
    conditions: DataFrame,
    labs: DataFrame,
    vitals: DataFrame,
    as_of: Column,
    codes: CohortCodes | None = None,
) -> DataFrame:
    """The features of every stay open at ``as_of``, as if it ended then: what scoring needs."""
    index = open_stays(encounters, as_of, codes or CohortCodes.from_reference())
    return _features(index, encounters, patients, conditions, labs, vitals).select(
        "encounter_id", "patient_id", "admitted_at", F.col("cutoff_at").alias("as_of"), *FEATURES, *LAST_LAB_TIMES
    )

"""The readmission measure's cohort and outcome on silver, after CMS's hospital-wide measure,
and the stays gold describes: every closed stay (``index_admissions``) and those open at a
scoring time (``open_stays``), each from its episode's first admission.

* **Episodes.** Another inpatient stay of the patient starting within a day of a discharge is
  a transfer: both stays are one episode, from the first admission to the last discharge.
  The stay that transferred out is not an index admission; the episode's last stay is.
* **Not index admissions** (``cohort_exclusion``): stays that end in death in hospital (the
  patient's date of death falls within the episode), that end against medical advice (the
  EHR records ``against_medical_advice`` on the stay), and those that transferred out.
* **Outcome.** The first inpatient admission after the episode's discharge, if it starts
  within 30 days and is not planned. Only the first counts: a planned readmission first means
  no readmission, whatever follows it. Planned: its reason is always planned (rehabilitation,
  maintenance chemotherapy, transplants), or it was booked as elective for a procedure that
  is planned when booked (``data/reference/readmission_cohort_codes.csv``).
"""

from __future__ import annotations

from dataclasses import dataclass

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

from healthcare_dataops import reference

DAY = 86_400
READMISSION_WINDOW_DAYS = 30
TRANSFER_WITHIN_SECONDS = DAY
DIED_IN_HOSPITAL = "died in hospital"
TRANSFERRED_OUT = "transferred to another inpatient stay"
AGAINST_MEDICAL_ADVICE = "discharged against medical advice"
COHORT_EXCLUSIONS = (DIED_IN_HOSPITAL, TRANSFERRED_OUT, AGAINST_MEDICAL_ADVICE)


@dataclass(frozen=True)
class CohortCodes:
    """The code lists of ``readmission_cohort_codes.csv``, by rule."""

    planned_always: tuple[str, ...]
    planned_when_elective: tuple[str, ...]
    elective_admission: tuple[str, ...]
    against_medical_advice: tuple[str, ...]
    oncology_reason: tuple[str, ...] = ()
    procedure_reason: tuple[str, ...] = ()

    @classmethod
    def from_reference(cls) -> CohortCodes:
        rules = reference.readmission_cohort_codes()
        return cls(**{name: rules.get(name, ()) for name in cls.__dataclass_fields__})

    def planned(self) -> Column:
        reason, code = F.coalesce(F.col("reason_code"), F.lit("")), F.coalesce(F.col("code"), F.lit(""))
        return reason.isin(*self.planned_always) | (
            code.isin(*self.elective_admission) & reason.isin(*self.planned_when_elective)
        )

    def elective(self) -> Column:
        return F.coalesce(F.col("code"), F.lit("")).isin(*self.elective_admission)


def _seconds_between(later: Column, earlier: Column) -> Column:
    return F.unix_timestamp(later) - F.unix_timestamp(earlier)


def inpatient_stays(encounters: DataFrame, codes: CohortCodes) -> DataFrame:
    """Every inpatient stay, open or closed, placed in its episode: ``episode_start`` (the
    first stay's admission), ``episode_elective`` (whether that one was booked), whether the
    stay ``transferred_out``, and the next stay's start and whether it was planned."""
    by_start = Window.partitionBy("patient_id").orderBy("start_at", "encounter_id")
    stays = encounters.where(F.col("encounter_class") == "inpatient").select(
        "encounter_id", "patient_id", "start_at", "end_at", "reason_code", "delivery_date",
        codes.planned().alias("planned"), codes.elective().alias("elective"),
    )
    previous_end = F.lag("end_at").over(by_start)
    # A stay that starts while the previous one is still open continues it as well.
    continues = F.lag("encounter_id").over(by_start).isNotNull() & (
        previous_end.isNull() | (_seconds_between(F.col("start_at"), previous_end) <= TRANSFER_WITHIN_SECONDS)
    )
    next_start = F.lead("start_at").over(by_start)
    placed = stays.select(
        "*",
        continues.alias("_continues"),
        next_start.alias("next_start"),
        F.lead("planned").over(by_start).alias("next_planned"),
        (F.col("end_at").isNotNull() & next_start.isNotNull()
         & (_seconds_between(next_start, F.col("end_at")) <= TRANSFER_WITHIN_SECONDS)).alias("transferred_out"),
    )
    running = by_start.rowsBetween(Window.unboundedPreceding, Window.currentRow)
    numbered = placed.withColumn("_episode", F.sum((~F.col("_continues")).cast("int")).over(running))
    episode = Window.partitionBy("patient_id", "_episode").orderBy("start_at", "encounter_id")
    whole_episode = episode.rowsBetween(Window.unboundedPreceding, Window.unboundedFollowing)
    return numbered.select(
        "encounter_id", "patient_id", "start_at", "end_at", "reason_code", "delivery_date", "transferred_out",
        "next_start", "next_planned",
        F.first("start_at").over(whole_episode).alias("episode_start"),
        F.first("elective").over(whole_episode).alias("episode_elective"),
    )


def cohort_exclusion(stays: DataFrame, patients: DataFrame, conditions: DataFrame, codes: CohortCodes) -> DataFrame:
    """``encounter_id`` → why a closed stay is not an index admission (null: it is one)."""
    deaths = patients.where(F.col("deceased_date").isNotNull()).select(
        F.col("patient_id").alias("_dead"), "deceased_date")
    against_advice = conditions.where(F.col("code").isin(*codes.against_medical_advice)).select(
        F.col("encounter_id").alias("_against_advice")).distinct()
    closed = stays.where(F.col("end_at").isNotNull())
    joined = (
        closed.join(deaths, F.col("patient_id") == F.col("_dead"), "left")
        .join(against_advice, F.col("encounter_id") == F.col("_against_advice"), "left")
    )
    # Dates of death are local days, stay times UTC: a day's leeway at the admission's end.
    died = (F.col("deceased_date") >= F.date_sub(F.to_date("episode_start"), 1)) & (
        F.col("deceased_date") <= F.to_date("end_at"))
    reason = (
        F.when(died, F.lit(DIED_IN_HOSPITAL))
        .when(F.col("transferred_out"), F.lit(TRANSFERRED_OUT))
        .when(F.col("_against_advice").isNotNull(), F.lit(AGAINST_MEDICAL_ADVICE))
    )
    return joined.select("encounter_id", reason.alias("cohort_exclusion"))


def readmission_label() -> Column:
    """The outcome of a closed stay: its first readmission starts within 30 days and is not
    planned. (Within a day would be a transfer, so the stay would not be an index admission.)"""
    gap = _seconds_between(F.col("next_start"), F.col("end_at"))
    within = F.col("next_start").isNotNull() & (gap <= READMISSION_WINDOW_DAYS * DAY)
    return (within & ~F.coalesce(F.col("next_planned"), F.lit(False))).cast("int")


def index_admissions(encounters: DataFrame, codes: CohortCodes) -> DataFrame:
    """Every closed inpatient stay, described from its episode's first admission."""
    stays = inpatient_stays(encounters, codes).where(F.col("end_at").isNotNull())
    return stays.select(
        "encounter_id",
        "patient_id",
        F.col("episode_start").alias("admitted_at"),
        F.col("end_at").alias("cutoff_at"),
        (_seconds_between(F.col("end_at"), F.col("episode_start")) / DAY).alias("length_of_stay_days"),
        F.col("delivery_date").alias("discharge_delivery_date"),
        readmission_label().alias("_readmitted"),
        F.col("episode_elective").alias("_elective"),
        F.coalesce(F.col("reason_code").isin(*codes.oncology_reason), F.lit(False)).alias("_oncology"),
        F.coalesce(F.col("reason_code").isin(*codes.procedure_reason), F.lit(False)).alias("_procedure"),
        # What cohort_exclusion reads beside the patients and conditions.
        "episode_start", "end_at", "transferred_out",
    )


def open_stays(encounters: DataFrame, as_of: Column, codes: CohortCodes) -> DataFrame:
    """Inpatient stays open at ``as_of`` (a time on the patient's shifted clock): admitted
    before it and not discharged by it. Their length of stay is the time so far, from the
    episode's first admission where the stay continues a transfer."""
    stays = inpatient_stays(encounters, codes).where(
        (F.col("start_at") <= as_of) & (F.col("end_at").isNull() | (F.col("end_at") > as_of))
    )
    return stays.select(
        "encounter_id",
        "patient_id",
        F.col("episode_start").alias("admitted_at"),
        as_of.alias("cutoff_at"),
        (_seconds_between(as_of, F.col("episode_start")) / DAY).alias("length_of_stay_days"),
    )

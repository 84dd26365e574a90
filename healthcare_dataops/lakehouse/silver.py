"""Conformed rows → a silver Delta table and its quarantine, with every row accounted for.

A silver transform returns one DataFrame: every bronze row of the batch, conformed, with
``quarantine_reason`` set where the row cannot go to silver. This module splits it: rows
with a reason go to the table's quarantine (replacing the batch's earlier quarantine rows),
the others are de-duplicated by the table's key (the newest delivery wins) and merged into
the silver table. It counts each outcome in the same pass, so conservation can be checked:
bronze rows = silver rows + quarantined + duplicates removed.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F

from healthcare_dataops.lakehouse import spark_tables

REASON = "quarantine_reason"
DETAIL = "quarantine_detail"
LINEAGE = ("source_file_sha256", "source_position", "delivery_date")
QUARANTINE_COLUMNS = ("source_table", "patient_id", "reason", "detail", *LINEAGE)


@dataclass(frozen=True)
class SilverTable:
    name: str
    columns: tuple[str, ...]
    keys: tuple[str, ...]
    partition_by: tuple[str, ...] = ("delivery_date",)

    @property
    def quarantine_name(self) -> str:
        return f"{self.name}_quarantine"


@dataclass
class DayOutcome:
    """One delivery day's bronze rows, by where they went."""

    written: int = 0
    quarantined: int = 0
    duplicates: int = 0
    reasons: dict[str, int] = field(default_factory=dict)

    @property
    def rows_in(self) -> int:
        return self.written + self.quarantined + self.duplicates


@dataclass
class SilverBatchReport:
    table: SilverTable
    days: dict[str, DayOutcome]
    version: int | None = None
    quarantine_version: int | None = None
    seconds: float = 0.0

    def total(self, outcome: str) -> int:
        return sum(getattr(day, outcome) for day in self.days.values())


def outcomes(conformed: DataFrame, table: SilverTable) -> DataFrame:
    """Each row labelled ``written``, ``duplicates`` or ``quarantined``."""
    newest_first = Window.partitionBy(F.col(REASON).isNull(), *table.keys).orderBy(
        F.col("delivery_date").desc(),
        F.col("source_file_sha256").desc(),
        F.col("source_position").desc(),
    )
    return conformed.withColumn(
        "_outcome",
        F.when(F.col(REASON).isNotNull(), F.lit("quarantined"))
        .when(F.row_number().over(newest_first) == 1, F.lit("written"))
        .otherwise(F.lit("duplicates")),
    )


def write_batch(
    conformed: DataFrame, *, table: SilverTable, table_uri: str, quarantine_uri: str, days: Sequence[str]
) -> SilverBatchReport:
    started = time.perf_counter()
    labelled = outcomes(conformed, table)
    report = SilverBatchReport(table, {day: DayOutcome() for day in days})
    for row in labelled.groupBy("delivery_date", "_outcome", REASON).count().collect():
        day = report.days.setdefault(row["delivery_date"].isoformat(), DayOutcome())
        setattr(day, row["_outcome"], getattr(day, row["_outcome"]) + row["count"])
        if row[REASON] is not None:
            day.reasons[row[REASON]] = row["count"]
    quarantined = labelled.where(F.col("_outcome") == "quarantined").select(
        F.lit(table.name).alias("source_table"),
        F.col("patient_id"),
        F.col(REASON).alias("reason"),
        F.col(DETAIL).alias("detail"),
        *LINEAGE,
    )
    spark_tables.replace_where(
        quarantined,
        quarantine_uri,
        predicate=spark_tables.days_predicate(days),
        partition_by=["delivery_date"],
    )
    written = labelled.where(F.col("_outcome") == "written").select(*table.columns)
    spark_tables.upsert(written, table_uri, keys=table.keys, partition_by=table.partition_by)
    report.version = spark_tables.version(table_uri)
    report.quarantine_version = spark_tables.version(quarantine_uri)
    report.seconds = time.perf_counter() - started
    return report


def detail(**columns) -> F.Column:
    """A JSON object of the (non-PHI) values that explain a quarantine reason."""
    return F.to_json(F.struct(*[col.alias(name) for name, col in columns.items()]))


UNKNOWN_PATIENT = "patient not in silver patients (missing, or quarantined upstream)"


def require_known_patients(conformed: DataFrame, patient_ids: DataFrame) -> DataFrame:
    """Quarantine rows whose patient silver does not know, so silver joins always hold."""
    known = patient_ids.select(F.col("patient_id").alias("_known_patient")).distinct()
    return (
        conformed.join(known, on=F.col("patient_id") == F.col("_known_patient"), how="left")
        .withColumn(
            REASON,
            F.coalesce(
                F.col(REASON),
                F.when(
                    F.col("patient_id").isNotNull() & F.col("_known_patient").isNull(),
                    F.lit(UNKNOWN_PATIENT),
                ),
            ),
        )
        .drop("_known_patient")
    )

"""Conformed rows → a silver Delta table and its quarantine, with every row accounted for.

A silver transform returns one DataFrame: every bronze row of the batch, conformed, with
``quarantine_reason`` set where the row cannot go to silver. This module labels each row once
(quarantined, written, or a duplicate: the newest delivery of a key wins) and stages the
labelled batch, so the transform, its pseudonyms and the de-duplication are computed once.
From the staged batch it counts each outcome, replaces the batch's quarantine rows, and
merges the written rows into the silver table, so conservation can be checked: bronze rows
= silver rows + quarantined + duplicates removed.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

from healthcare_dataops.lakehouse import spark_tables

REASON = "quarantine_reason"
DETAIL = "quarantine_detail"
# Columns a transform may add that never reach a table, each with its meaning when absent:
# which bronze table (feed) the row came from, when its record was last updated at the source
# (a FHIR resource's meta.lastUpdated; else its delivery), whether a newer version of its
# record is already in bronze, and whether it deletes its key's row.
FEED = "_feed"
VERSION_AT = "_version_at"
SUPERSEDED = "_superseded"
DELETES = "_deletes"
TRANSIENT = {FEED: "string", VERSION_AT: "timestamp", SUPERSEDED: "boolean", DELETES: "boolean"}
LINEAGE = ("source_file_sha256", "source_position", "delivery_date")
QUARANTINE_COLUMNS = ("source_table", "patient_id", "reason", "detail", *LINEAGE)
# Column lineage: each silver column → what it is derived from, a column of its bronze table
# by name, or a column of another of its inputs as (table, column).
Lineage = Mapping[str, Sequence[str | tuple[str, str]]]


@dataclass(frozen=True)
class SilverTable:
    name: str
    columns: tuple[str, ...]
    keys: tuple[str, ...]
    partition_by: tuple[str, ...] = ("delivery_date",)
    # Whether a row's key decides its partition (a reading's time its day): a MERGE then reads
    # only the partitions of the batch. Not so for tables partitioned by delivery day, where
    # a later delivery of a key finds its row in an older day's partition.
    key_decides_partition: bool = False

    @property
    def quarantine_name(self) -> str:
        return f"{self.name}_quarantine"


@dataclass
class DayOutcome:
    """One delivery day's bronze rows, by where they went."""

    written: int = 0
    quarantined: int = 0
    duplicates: int = 0
    # Rows that deleted their key's row (a FHIR DELETE), and the silver rows that removed.
    deletions: int = 0
    rows_deleted: int = 0
    reasons: dict[str, int] = field(default_factory=dict)

    @property
    def rows_in(self) -> int:
        return self.written + self.quarantined + self.duplicates + self.deletions


@dataclass
class SilverBatchReport:
    table: SilverTable
    days: dict[str, DayOutcome]
    # The same per bronze table that fed the batch: each feed is conserved on its own.
    feeds: dict[str, dict[str, DayOutcome]] = field(default_factory=dict)
    version: int | None = None
    quarantine_version: int | None = None
    seconds: float = 0.0

    def total(self, outcome: str) -> int:
        return sum(getattr(day, outcome) for day in self.days.values())


def outcomes(conformed: DataFrame, table: SilverTable) -> DataFrame:
    """Each row labelled ``written``, ``duplicates``, ``deletions`` or ``quarantined``.

    Of two deliveries of a key the newer version wins: the later update at the source (a FHIR
    resource's lastUpdated; a delivery without one counts as of its day's end), then the newer
    day, then the later file content, then the later position in the file: by its numbers
    (line 1003 after line 998), not its text. A row whose record bronze already holds in a
    newer version (``_superseded``) is a duplicate; the winner that deletes its key is a
    deletion. Sorting every row by its key would cost more than the rest of silver together,
    and few keys repeat: a hash of the key finds those that may (equal hashes, so every
    repeated key and perhaps a few others), and only their rows are ordered. ``conformed`` is
    read twice: hand it staged.
    """
    conformed = with_transient_columns(conformed)
    usable = F.col(REASON).isNull()
    fresh = usable & ~F.coalesce(F.col(SUPERSEDED), F.lit(False))
    won = lambda: (F.when(F.coalesce(F.col(DELETES), F.lit(False)), F.lit("deletions"))  # noqa: E731
                   .otherwise(F.lit("written")))
    key_hash = F.xxhash64(*table.keys)
    repeated = (
        conformed.where(fresh).groupBy(key_hash.alias("_key_hash")).count()
        .where(F.col("count") > 1).select("_key_hash", F.lit(True).alias("_may_repeat"))
    )
    marked = conformed.withColumn("_key_hash", key_hash).join(F.broadcast(repeated), "_key_hash", "left")
    may_repeat = fresh & F.col("_may_repeat").isNotNull()
    alone = marked.where(~may_repeat).withColumn(
        "_outcome", F.when(fresh, won()).when(usable, F.lit("duplicates")).otherwise(F.lit("quarantined"))
    )
    delivered_by = F.date_add(F.col("delivery_date"), 1).cast("timestamp")
    newest_first = Window.partitionBy(*table.keys).orderBy(
        F.coalesce(F.col(VERSION_AT), delivered_by).desc(),
        F.col("delivery_date").desc(),
        F.col("source_file_sha256").desc(),
        position_order(F.col("source_position")).desc(),
    )
    candidates = marked.where(may_repeat).withColumn(
        "_outcome", F.when(F.row_number().over(newest_first) == 1, won()).otherwise(F.lit("duplicates"))
    )
    return alone.unionByName(candidates).drop("_key_hash", "_may_repeat")


def with_transient_columns(frame: DataFrame) -> DataFrame:
    """``frame`` with every transient column, null where the transform gave none."""
    missing = [F.lit(None).cast(kind).alias(name) for name, kind in TRANSIENT.items() if name not in frame.columns]
    return frame.select("*", *missing) if missing else frame


def position_order(position: Column) -> Column:
    """``line 17``, ``record 17`` or ``message 3, segment 5`` as a number that sorts as the
    position does (segments below a million per message)."""
    first = F.regexp_extract(position, r"^[a-z]+ ([0-9]{1,12})", 1)
    second = F.regexp_extract(position, r", [a-z]+ ([0-9]{1,6})\z", 1)
    number = lambda text: F.when(text != "", text.cast("long")).otherwise(F.lit(0))  # noqa: E731
    return number(first) * 1_000_000 + number(second)


def write_batch(
    conformed: DataFrame,
    *,
    table: SilverTable,
    table_uri: str,
    quarantine_uri: str,
    days: Sequence[str],
    staging_uri: str,
) -> SilverBatchReport:
    """Label, stage, count, quarantine and merge one batch (a chunk of delivery days)."""
    started = time.perf_counter()
    report = SilverBatchReport(table, {day: DayOutcome() for day in days})
    # The transform and its pseudonyms computed once; the labels, cheap, by each reader.
    labelled = outcomes(spark_tables.stage(with_transient_columns(conformed), staging_uri), table)
    for row in labelled.groupBy(FEED, "delivery_date", "_outcome", REASON).count().collect():
        day_key = row["delivery_date"].isoformat()
        feed_days = report.feeds.setdefault(row[FEED] or table.name, {})
        for outcome in (report.days.setdefault(day_key, DayOutcome()), feed_days.setdefault(day_key, DayOutcome())):
            setattr(outcome, row["_outcome"], getattr(outcome, row["_outcome"]) + row["count"])
            if row[REASON] is not None:
                outcome.reasons[row[REASON]] = outcome.reasons.get(row[REASON], 0) + row["count"]
    quarantined = labelled.where(F.col("_outcome") == "quarantined").select(
        F.coalesce(F.col(FEED), F.lit(table.name)).alias("source_table"),
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
    if table.key_decides_partition:
        spark_tables.upsert_partitions(written, table_uri, keys=table.keys, partition_by=table.partition_by,
                                       partitions=_partitions_of(written, table))
    else:
        spark_tables.upsert(written, table_uri, keys=table.keys, partition_by=table.partition_by)
    deletions = labelled.where(F.col("_outcome") == "deletions")
    if report.total("deletions"):
        for row in spark_tables.delete_keys(deletions, table_uri, keys=table.keys):
            for outcome in (report.days[row["day"]], report.feeds[row[FEED] or table.name][row["day"]]):
                outcome.rows_deleted += row["deleted"]
    report.version = spark_tables.version(table_uri)
    report.quarantine_version = spark_tables.version(quarantine_uri)
    report.seconds = time.perf_counter() - started
    return report


def _partitions_of(rows: DataFrame, table: SilverTable) -> dict[str, list]:
    """The partition values the batch's rows have: the only partitions their keys can match."""
    found = rows.select(*table.partition_by).distinct().collect()
    return {column: sorted({r[column] for r in found if r[column] is not None}) for column in table.partition_by}


def merge_reports(reports: Sequence[SilverBatchReport]) -> SilverBatchReport:
    """The chunks of one run as one report: their days, the last versions, the time summed."""
    merged = SilverBatchReport(reports[0].table, {})
    for report in reports:
        merged.days.update(report.days)
        for feed, days in report.feeds.items():
            merged.feeds.setdefault(feed, {}).update(days)
        merged.version, merged.quarantine_version = report.version, report.quarantine_version
        merged.seconds += report.seconds
    return merged


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

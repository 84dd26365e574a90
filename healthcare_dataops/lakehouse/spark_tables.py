"""Delta reads and idempotent writes through the engine's own ``format("delta")``.

The same calls run on the embedded Sail engine and on a Spark 4 cluster with Delta Connect.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Sequence

from deltalake import DeltaTable
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from healthcare_dataops.lakehouse import storage

_view_names = itertools.count()


def exists(uri: str) -> bool:
    return DeltaTable.is_deltatable(uri, storage_options=storage.storage_options(uri))


def version(uri: str) -> int:
    return DeltaTable(uri, storage_options=storage.storage_options(uri)).version()


def read(spark: SparkSession, uri: str) -> DataFrame:
    return spark.read.format("delta").load(uri)


def read_days(spark: SparkSession, uri: str, days: Sequence[str], column: str = "delivery_date") -> DataFrame:
    """The rows of ``days`` (daily partitions by delivery day)."""
    return read(spark, uri).where(F.col(column).isin([dt.date.fromisoformat(d) for d in days]))


def replace_where(
    frame: DataFrame, uri: str, *, predicate: str, partition_by: Sequence[str]
) -> None:
    """Replace the rows matching ``predicate`` with ``frame`` in one commit."""
    writer = frame.write.format("delta").partitionBy(*partition_by)
    if exists(uri):
        writer = writer.mode("overwrite").option("replaceWhere", predicate)
    else:
        writer = writer.mode("overwrite")
    writer.save(uri)


def upsert(
    frame: DataFrame,
    uri: str,
    *,
    keys: Sequence[str],
    partition_by: Sequence[str],
    newer: str = "delivery_date",
) -> None:
    """MERGE ``frame`` into the table by ``keys``; a row replaces one not newer than itself.

    Re-running a batch, or running an older batch after a newer one, changes nothing: no
    duplicates, and an older delivery never overwrites a newer one.
    """
    if not exists(uri):
        frame.write.format("delta").partitionBy(*partition_by).mode("overwrite").save(uri)
        return
    spark = frame.sparkSession
    view = f"silver_batch_{next(_view_names)}"
    frame.createOrReplaceTempView(view)
    on = " AND ".join(f"t.`{k}` <=> s.`{k}`" for k in keys)
    try:
        spark.sql(
            f"MERGE INTO delta.`{uri}` AS t USING {view} AS s ON {on} "
            f"WHEN MATCHED AND s.`{newer}` >= t.`{newer}` THEN UPDATE SET * "
            f"WHEN NOT MATCHED THEN INSERT *"
        )
    finally:
        spark.catalog.dropTempView(view)


def days_predicate(days: Sequence[str], column: str = "delivery_date") -> str:
    quoted = ", ".join(f"DATE'{d}'" for d in days)
    return f"{column} IN ({quoted})"

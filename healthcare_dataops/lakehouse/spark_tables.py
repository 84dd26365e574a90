"""Delta reads and idempotent writes through the engine's own ``format("delta")``.

The same calls run on the embedded Sail engine and on a Spark 4 cluster with Delta Connect.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Mapping, Sequence

import pyarrow as pa
from deltalake import DeltaTable
from pyspark.sql import DataFrame, SparkSession, Window
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
    writer = writer.mode("overwrite").option("replaceWhere", predicate) if exists(uri) else writer.mode("overwrite")
    writer.save(uri)


def upsert(
    frame: DataFrame,
    uri: str,
    *,
    keys: Sequence[str],
    partition_by: Sequence[str],
    newer: str = "delivery_date",
    target_partitions: Mapping[str, Sequence[dt.date]] | None = None,
) -> None:
    """MERGE ``frame`` into the table by ``keys``; a row replaces one not newer than itself.

    Re-running a batch, or running an older batch after a newer one, changes nothing: no
    duplicates, and an older delivery never overwrites a newer one.

    ``target_partitions`` names the only partitions a matching row can be in, for tables whose
    key decides the partition (a reading's time, its day): the MERGE then reads those alone.
    It must hold every value the batch's rows have, or rows would be inserted twice.
    """
    if not exists(uri):
        frame.write.format("delta").partitionBy(*partition_by).mode("overwrite").save(uri)
        return
    spark = frame.sparkSession
    view = f"silver_batch_{next(_view_names)}"
    frame.createOrReplaceTempView(view)
    on = " AND ".join(
        [f"t.`{k}` <=> s.`{k}`" for k in keys]
        + [days_predicate([d.isoformat() for d in values], column=f"t.`{column}`")
           for column, values in (target_partitions or {}).items() if values]
    )
    try:
        spark.sql(
            f"MERGE INTO delta.`{uri}` AS t USING {view} AS s ON {on} "
            f"WHEN MATCHED AND s.`{newer}` >= t.`{newer}` THEN UPDATE SET * "
            f"WHEN NOT MATCHED THEN INSERT *"
        )
    finally:
        spark.catalog.dropTempView(view)


def delete_keys(deletions: DataFrame, uri: str, *, keys: Sequence[str]) -> list[dict]:
    """Delete the table's rows whose key a row of ``deletions`` has, in one commit; how many
    each (``_feed``, day) of ``deletions`` removed, counted before the delete."""
    if not exists(uri):
        return []
    spark = deletions.sparkSession
    targets = deletions.select(*keys, "_feed", F.col("delivery_date").cast("string").alias("day")).distinct()
    on = [F.col(f"t.{k}").eqNullSafe(F.col(f"s.{k}")) for k in keys]
    found = (read(spark, uri).select(*keys).alias("t").join(targets.alias("s"), on)
             .groupBy("s._feed", "s.day").count().collect())
    if found:
        view = f"silver_deletions_{next(_view_names)}"
        deletions.select(*keys).distinct().createOrReplaceTempView(view)
        condition = " AND ".join(f"t.`{k}` <=> s.`{k}`" for k in keys)
        try:
            spark.sql(f"MERGE INTO delta.`{uri}` AS t USING {view} AS s ON {condition} WHEN MATCHED THEN DELETE")
        finally:
            spark.catalog.dropTempView(view)
    return [{"_feed": r["_feed"], "day": r["day"], "deleted": r["count"]} for r in found]


def upsert_partitions(
    frame: DataFrame,
    uri: str,
    *,
    keys: Sequence[str],
    partition_by: Sequence[str],
    partitions: Mapping[str, Sequence[dt.date]],
    newer: str = "delivery_date",
) -> None:
    """What ``upsert`` does, for a table whose key decides a row's partition, in one commit.

    Where no key of the batch is in the table yet (a new day, late readings of an older one)
    the batch is appended. Otherwise the batch's partitions are rewritten: their old rows and
    the batch's, a key's newer row winning (the batch's on a tie, as the MERGE's ``>=``).
    Sail's MERGE costs several microseconds a batch row even where no target row matches, and
    rewriting a day of readings to add a few late ones costs the day.
    """
    if not exists(uri):
        frame.write.format("delta").partitionBy(*partition_by).mode("overwrite").save(uri)
        return
    if not all(partitions.values()):
        return  # an empty batch: nothing to merge
    predicate = " AND ".join(days_predicate([d.isoformat() for d in values], column=column)
                             for column, values in partitions.items())
    old = read(frame.sparkSession, uri).where(predicate).select(*frame.columns)
    if not frame.join(old.select(*keys), list(keys), "left_semi").limit(1).collect():
        frame.write.format("delta").mode("append").save(uri)
        return
    both = old.withColumn("_from_batch", F.lit(False)).unionByName(frame.withColumn("_from_batch", F.lit(True)))
    replace_where(newest_per_key(both, keys, [F.col(newer).desc(), F.col("_from_batch").desc()]).drop("_from_batch"),
                  uri, predicate=predicate, partition_by=partition_by)


def newest_per_key(frame: DataFrame, keys: Sequence[str], order: Sequence) -> DataFrame:
    """One row per key, the first by ``order``. Only rows whose key's hash repeats are ordered
    (a full sort by key costs more than everything around it); ``frame`` is read twice."""
    key_hash = F.xxhash64(*keys)
    repeated = (frame.groupBy(key_hash.alias("_key_hash")).count().where(F.col("count") > 1)
                .select("_key_hash", F.lit(True).alias("_may_repeat")))
    marked = frame.withColumn("_key_hash", key_hash).join(F.broadcast(repeated), "_key_hash", "left")
    alone = marked.where(F.col("_may_repeat").isNull())
    first = Window.partitionBy(*keys).orderBy(*order)
    winners = (marked.where(F.col("_may_repeat")).withColumn("_rank", F.row_number().over(first))
               .where(F.col("_rank") == 1).drop("_rank"))
    return alone.unionByName(winners).drop("_key_hash", "_may_repeat")


def days_predicate(days: Sequence[str], column: str = "delivery_date") -> str:
    quoted = ", ".join(f"DATE'{d}'" for d in days)
    return f"{column} IN ({quoted})"


def stage(frame: DataFrame, uri: str) -> DataFrame:
    """``frame`` computed once, written to ``uri`` as Parquet, and read back from there.

    For a batch several writes read (its counts, its quarantine, its MERGE): each would
    compute it again from bronze otherwise. The caller removes ``uri`` when done.
    """
    frame.write.mode("overwrite").parquet(uri)
    # The schema given: an empty batch writes no file to read it from.
    return frame.sparkSession.read.schema(frame.schema).parquet(uri)


def rows_per_partition(uri: str, column: str = "delivery_date") -> dict[str, int]:
    """Rows per value of a partition column, from the Delta log's file statistics: no scan."""
    table = DeltaTable(uri, storage_options=storage.storage_options(uri))
    actions = pa.table(table.get_add_actions(flatten=True))
    partition = actions.column(f"partition.{column}").to_pylist()
    counts: dict[str, int] = {}
    for value, rows in zip(partition, actions.column("num_records").to_pylist(), strict=True):
        day = value.isoformat() if isinstance(value, dt.date) else str(value)
        counts[day] = counts.get(day, 0) + (rows or 0)
    return counts

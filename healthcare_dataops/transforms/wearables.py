"""Wearable data points → de-identified readings, then hourly vitals per patient.

Readings are keyed by device, measure and time, so a data point delivered twice lands once
and a late one lands on the day it was measured. Vitals are recomputed for every measured
day a batch touches, from all readings of that day, so late data is never half-counted.
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

from healthcare_dataops.lakehouse.silver_writer import DETAIL, REASON, Lineage, SilverTable, detail
from healthcare_dataops.privacy import pseudonym, shift_days, shift_timestamp
from healthcare_dataops.transforms.columns import reason, to_double
from healthcare_dataops.transforms.timestamps import apple_health_timestamp, iso_timestamp

_LINEAGE = ("source_file_sha256", "source_position", "delivery_date")
# An hour needs this many heart-rate readings to stand for the day's resting rate.
RESTING_HOUR_MIN_READINGS = 3
# A file of delivery day D holds what was measured up to the end of D in the device's own
# zone; the latest local midnight anywhere (UTC+14) is 14 hours after D ends in UTC.
LATEST_ZONE_SECONDS = 14 * 3600
# Device and phone clocks drift by minutes; a reading stamped more than this after the data
# point was created (synced) comes from a clock set wrong, not from drift.
CLOCK_TOLERANCE_SECONDS = 3600
MEASURED_AFTER_DELIVERY = "measured after its delivery: later than the delivery day's end in any time zone"
MEASURED_AFTER_CREATION = "measured after the data point was created: the device clock runs ahead"

DEVICE_ENROLLMENTS = SilverTable(
    "device_enrollments",
    ("device_id", "patient_id", "device_model", "enrolled_at", *_LINEAGE),
    keys=("device_id",),
)
WEARABLE_READINGS = SilverTable(
    "wearable_readings",
    ("device_id", "patient_id", "measure", "value", "unit", "measured_at", "measured_end_at",
     "measured_date", *_LINEAGE),
    keys=("device_id", "measure", "measured_at"),
    partition_by=("measured_date",),
    key_decides_partition=True,  # measured_date is the day of measured_at
)
VITALS_COLUMNS = (
    "patient_id", "measured_date", "hour_start", "heart_rate_mean", "heart_rate_min",
    "heart_rate_max", "heart_rate_readings", "steps", "spo2_min", "spo2_mean",
    "sleep_minutes", "resting_heart_rate", "last_delivery_date",
)


# Column lineage (silver column → bronze columns), beside each transform. A reading's patient is
# its device's owner in silver device_enrollments, whose pseudonym also shifts its times.
ENROLLMENTS_LINEAGE: Lineage = {
    "device_id": ("device_id",),
    "patient_id": ("patient_mrn",),
    "device_model": ("device_model",),
    "enrolled_at": ("enrolled_at", "patient_mrn"),
    "source_file_sha256": ("source_file_sha256",),
    "source_position": ("source_line",),
    "delivery_date": ("delivery_date",),
}
_OWNER = ("device_id", (DEVICE_ENROLLMENTS.name, "patient_id"))
_START = ("effective_date_time", "start_date_time", "source_format", *_OWNER)
READINGS_LINEAGE: Lineage = {
    "device_id": ("device_id",),
    "patient_id": _OWNER,
    "measure": ("measure", "unit"),
    "value": ("value", "measure", "unit"),
    "unit": ("measure", "unit"),
    "measured_at": _START,
    "measured_end_at": ("end_date_time", "source_format", *_OWNER),
    "measured_date": _START,
    "source_file_sha256": ("source_file_sha256",),
    "source_position": ("source_record", "source_topic", "source_partition", "source_offset"),
    "delivery_date": ("delivery_date",),
}


def conform_enrollments(raw: DataFrame, key: bytes) -> DataFrame:
    patient_id = pseudonym(F.col("patient_mrn"), key, "patient")
    enrolled = iso_timestamp(F.col("enrolled_at"))
    return raw.select(
        pseudonym(F.col("device_id"), key, "device").alias("device_id"),
        patient_id.alias("patient_id"),
        F.trim(F.col("device_model")).alias("device_model"),
        shift_timestamp(enrolled, shift_days(patient_id, key)).alias("enrolled_at"),
        F.col("source_file_sha256"),
        F.concat(F.lit("line "), F.col("source_line").cast("string")).alias("source_position"),
        F.col("delivery_date"),
        reason(
            (F.col("device_id").isNull(), "no device id"),
            (patient_id.isNull(), "no patient MRN"),
        ).alias(REASON),
        detail(device_model=F.col("device_model")).alias(DETAIL),
    )


def conform_readings(raw: DataFrame, enrollments: DataFrame, measures: DataFrame, key: bytes) -> DataFrame:
    """Every bronze data point, with its patient, canonical unit and a quarantine reason."""
    is_apple = F.col("source_format") == "apple_health"
    parse = lambda c: F.when(is_apple, apple_health_timestamp(c)).otherwise(iso_timestamp(c))  # noqa: E731
    start = F.coalesce(parse(F.col("effective_date_time")), parse(F.col("start_date_time")))
    # Pseudonyms and shifts per device and per owner, not per reading: each is two SHA-256
    # digests, and a device sends thousands of readings a day.
    devices = raw.select("device_id").distinct().select(
        F.col("device_id").alias("_delivered_device"), pseudonym(F.col("device_id"), key, "device").alias("device")
    )
    owners = enrollments.select(
        F.col("device_id").alias("_device"),
        F.col("patient_id").alias("_owner"),
        shift_days(F.col("patient_id"), key).alias("_shift"),
    )
    rows = (
        raw.join(F.broadcast(devices), on=F.col("device_id").eqNullSafe(F.col("_delivered_device")), how="left")
        .select(
            "*",
            start.alias("_start"),
            parse(F.col("end_date_time")).alias("_end"),
            parse(F.col("creation_date_time")).alias("_created"),
            to_double(F.col("value")).alias("_value"),
        )
        .join(F.broadcast(owners), on=F.col("device") == F.col("_device"), how="left")
        .join(
            F.broadcast(measures),
            on=(F.col("measure") == F.col("source_measure"))
            & (F.lower(F.trim(F.col("unit"))) == F.col("unit_lower")),
            how="left",
        )
    )
    shift = F.col("_shift")
    delivery_end = F.unix_timestamp(F.date_add(F.col("delivery_date"), 1).cast("timestamp"))
    canonical = F.col("_value") * F.col("multiply_by") + F.col("add")
    measured_at = shift_timestamp(F.col("_start"), shift)
    return rows.select(
        F.col("device").alias("device_id"),
        F.col("_owner").alias("patient_id"),
        F.col("silver_measure").alias("measure"),
        canonical.alias("value"),
        F.col("silver_unit").alias("unit"),
        measured_at.alias("measured_at"),
        shift_timestamp(F.col("_end"), shift).alias("measured_end_at"),
        F.to_date(measured_at).alias("measured_date"),
        F.col("source_file_sha256"),
        _reading_position(raw).alias("source_position"),
        F.col("delivery_date"),
        reason(
            (F.col("device").isNull(), "no device id"),
            (F.col("_owner").isNull(), "device not enrolled to a patient"),
            (F.col("source_measure").isNull(), "measure or unit not conformed in silver"),
            (F.col("_value").isNull(), "value is not a number"),
            (F.col("_start").isNull(), "no valid measurement time"),
            (F.unix_timestamp(F.col("_start")) > delivery_end + LATEST_ZONE_SECONDS, MEASURED_AFTER_DELIVERY),
            (F.unix_timestamp(F.coalesce(F.col("_end"), F.col("_start")))
             > F.unix_timestamp(F.col("_created")) + CLOCK_TOLERANCE_SECONDS, MEASURED_AFTER_CREATION),
            (canonical < F.col("plausible_min"), "physiologically impossible: below the possible range"),
            (canonical > F.col("plausible_max"), "physiologically impossible: above the possible range"),
        ).alias(REASON),
        # The value as delivered (text, like measure and unit beside it), not the parsed double:
        # to_json writes a double as Java's Double.toString on JVM Spark ("1.2345678E7",
        # "1.0E-4") and in plain decimals on Sail ("12345678.0", "0.0001"), so the detail of
        # an implausibly large or small reading differed between the engines.
        detail(measure=F.col("measure"), unit=F.col("unit"), value=F.col("value")).alias(DETAIL),
    )


def hourly_vitals(readings: DataFrame) -> DataFrame:
    """Per patient per hour: heart rate, steps, SpO2 and sleep; the day's resting heart rate."""
    measure = F.col("measure")
    value = F.col("value")
    hourly = (
        readings.where(F.col("patient_id").isNotNull())
        .withColumn("hour_start", F.date_trunc("hour", F.col("measured_at")))
        .groupBy("patient_id", "measured_date", "hour_start")
        .agg(
            F.avg(F.when(measure == "heart_rate", value)).alias("heart_rate_mean"),
            F.min(F.when(measure == "heart_rate", value)).alias("heart_rate_min"),
            F.max(F.when(measure == "heart_rate", value)).alias("heart_rate_max"),
            F.count(F.when(measure == "heart_rate", value)).alias("heart_rate_readings"),
            F.sum(F.when(measure == "steps", value)).alias("steps"),
            F.min(F.when(measure == "spo2", value)).alias("spo2_min"),
            F.avg(F.when(measure == "spo2", value)).alias("spo2_mean"),
            F.sum(F.when(measure == "sleep", value)).alias("sleep_minutes"),
            F.max("delivery_date").alias("last_delivery_date"),
        )
    )
    # The lowest hourly mean with enough readings: exact, so every engine agrees on it.
    day = Window.partitionBy("patient_id", "measured_date")
    resting = F.min(
        F.when(F.col("heart_rate_readings") >= RESTING_HOUR_MIN_READINGS, F.col("heart_rate_mean"))
    ).over(day)
    return hourly.withColumn("resting_heart_rate", resting).select(*VITALS_COLUMNS)


def _reading_position(raw: DataFrame) -> Column:
    """``record 17`` of its file, or ``offset 1234 of wearables.omh/0`` for a data point
    published to the topic (silver names the record; bronze holds the rest)."""
    in_file = F.concat(F.lit("record "), F.col("source_record").cast("string"))
    if "source_offset" not in raw.columns:  # a bronze table from before the stream columns
        return in_file
    on_topic = F.concat(F.lit("offset "), F.col("source_offset").cast("string"), F.lit(" of "),
                        F.col("source_topic"), F.lit("/"), F.col("source_partition").cast("string"))
    return F.when(F.col("source_offset").isNull(), in_file).otherwise(on_topic)

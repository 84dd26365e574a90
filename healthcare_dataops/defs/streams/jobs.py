"""The micro-batch jobs: a source's bronze asset reading its topic, then silver for the day.

The same assets as the daily runs, with the bronze step's config set to read the topic
(``TopicBatchConfig``); silver runs in the same run, so a message is in silver one run after
it reached the broker rather than a run and an automation tick later.

Without the silver checks: their suites read the whole day, and a micro-batch that waited for
them (about 17 s on 2 cores, more as the day fills) would push a message's way to silver past
a minute (``benchmark --realtime``: p99 79 s with them, 43 s without). The day's checks run
when the day is over, with its files, in ``daily_pipeline_job`` (``daily_pipeline_schedule``,
04:00), over every row of the day, streamed ones included.

Keys, not the asset objects: a definition imported here would be loaded twice from defs/.
"""

import dagster as dg

from healthcare_dataops.defs.bronze.labs import LAB_QUARANTINE, LAB_RESULTS_RAW
from healthcare_dataops.defs.bronze.wearables import (
    WEARABLE_ENROLLMENTS_RAW,
    WEARABLE_QUARANTINE,
    WEARABLE_READINGS_RAW,
)
from healthcare_dataops.defs.silver.wearables import WEARABLE_VITALS
from healthcare_dataops.lib.retries import IO_RETRY_POLICY
from healthcare_dataops.transforms.labs import LAB_RESULTS
from healthcare_dataops.transforms.wearables import WEARABLE_READINGS

LAB_BRONZE_STEP, WEARABLE_BRONZE_STEP = "lab_bronze", "wearable_bronze"

lab_stream_job = dg.define_asset_job(
    "lab_stream_job",
    selection=dg.AssetSelection.assets(LAB_RESULTS_RAW.name, LAB_QUARANTINE, LAB_RESULTS.name,
                                       LAB_RESULTS.quarantine_name).without_checks(),
    config={"ops": {LAB_BRONZE_STEP: {"config": {"read_topic": True}}}},
    op_retry_policy=IO_RETRY_POLICY,
    description="A micro-batch of the labs topic (HL7 v2 received over MLLP) into bronze "
    "lab_results_raw, then silver lab_results for the day, checks included.",
)

wearable_stream_job = dg.define_asset_job(
    "wearable_stream_job",
    # The enrollments too: the bronze step writes a source's tables together (a micro-batch
    # skips them: enrollments come as files).
    selection=dg.AssetSelection.assets(WEARABLE_READINGS_RAW.name, WEARABLE_ENROLLMENTS_RAW.name, WEARABLE_QUARANTINE,
                                       WEARABLE_READINGS.name, WEARABLE_READINGS.quarantine_name,
                                       WEARABLE_VITALS).without_checks(),
    config={"ops": {WEARABLE_BRONZE_STEP: {"config": {"read_topic": True}}}},
    op_retry_policy=IO_RETRY_POLICY,
    description="A micro-batch of the wearables topic (Open mHealth data points keyed by device) into "
    "bronze wearable_readings_raw, then silver wearable_readings and the hourly vitals of the days it touched.",
)

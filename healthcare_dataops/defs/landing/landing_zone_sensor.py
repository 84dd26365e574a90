"""``landing_zone_sensor``: files arriving in the landing zone → a daily pipeline run per day.

A tick only lists the landing zone (``LandingZoneResource.snapshot``: names, sizes, times; no
file is read). The cursor maps each delivery day to a fingerprint of its files' paths, sizes
and modification times, as JSON ``{"2026-01-05": "<16 hex>", ...}``. A new file, or a file
replaced by another of different size or time, changes its day's fingerprint, and the day is
requested again; bronze ingests per file idempotently, so a repeat costs time, never rows.
One short entry per day keeps the cursor small, and days the landing zone's retention removes
drop out of it. The run key is the day and its fingerprint, so a retried tick launches nothing
twice.

Stopped by default: starting the UI must not re-ingest a landing zone the CLI already loaded.
A production deployment switches it on; its first tick, with no cursor, requests every day
the landing zone holds.
"""

import json
import time

import dagster as dg

from healthcare_dataops.defs.automation.jobs import daily_pipeline_job
from healthcare_dataops.defs.landing.landing_days import survey
from healthcare_dataops.resources import LandingZoneResource


@dg.sensor(
    job=daily_pipeline_job,
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.STOPPED,
    description="Requests the daily pipeline for every delivery day with new or replaced files.",
)
def landing_zone_sensor(context: dg.SensorEvaluationContext, landing_zone: LandingZoneResource):
    return landing_zone_requests(context, landing_zone, now_ns=time.time_ns())


def landing_zone_requests(
    context: dg.SensorEvaluationContext, landing_zone: LandingZoneResource, *, now_ns: int
) -> dg.SensorResult:
    """The sensor's tick at ``now_ns`` (ns since the epoch): tests pass the clock in rather
    than wait for files to settle."""
    seen: dict[str, str] = json.loads(context.cursor) if context.cursor else {}
    days = survey(landing_zone.snapshot(), now_ns=now_ns)
    changed = sorted(day for day, fingerprint in days.ready.items() if seen.get(day) != fingerprint)
    # A day still being written keeps its old fingerprint, so it is requested once it settles.
    cursor = {**{day: seen[day] for day in days.arriving if day in seen}, **days.ready}
    for note in days.notes:
        context.log.warning(note)
    if not changed:
        return dg.SensorResult(
            skip_reason=dg.SkipReason(" ".join(["No new or replaced deliveries.", *days.notes])),
            cursor=json.dumps(cursor, sort_keys=True),
        )
    context.log.info(f"Requesting the daily pipeline for {changed}")
    return dg.SensorResult(
        run_requests=[
            dg.RunRequest(run_key=f"{day}:{days.ready[day]}", partition_key=day) for day in changed
        ],
        cursor=json.dumps(cursor, sort_keys=True),
    )

"""Schedules in the hospital's time zone: the day that just ended, and a weekly retrain.

Both are stopped by default: the quickstart runs from the CLI, and a deployment switches them
on (UI or ``dagster schedule start``). 04:00 and Sunday 06:00 local sit clear of the hours
where daylight saving time skips or repeats a clock time, and the retrain comes after the
Saturday pipeline has had two hours to finish.
"""

import datetime as dt
from zoneinfo import ZoneInfo

import dagster as dg

from healthcare_dataops import settings
from healthcare_dataops.defs.automation.jobs import daily_pipeline_job
from healthcare_dataops.defs.model.retrain_job import retrain_job
from healthcare_dataops.lib.partitions import delivery_day_partitions

HOSPITAL_TIMEZONE = settings.hospital_timezone()


# Not dg.build_schedule_from_partitioned_job: it requests the newest partition at the tick,
# which with end_offset=1 (today's deliveries can be ingested today) is the day that has just
# begun, not the one that ended.
def day_that_just_ended(moment: dt.datetime, timezone: ZoneInfo) -> str:
    """Yesterday in ``timezone``: the partitions run to today (end_offset=1), which is not over."""
    return (moment.astimezone(timezone).date() - dt.timedelta(days=1)).isoformat()


def _request_for_ended_day(context: dg.ScheduleEvaluationContext) -> dg.RunRequest | dg.SkipReason:
    day = day_that_just_ended(context.scheduled_execution_time, HOSPITAL_TIMEZONE)
    first = delivery_day_partitions.get_first_partition_key()
    if day < first:
        return dg.SkipReason(f"{day} is before the first delivery day {first}: nothing delivered yet")
    # One run per day and schedule, even if a tick is evaluated twice.
    return dg.RunRequest(run_key=day, partition_key=day)


@dg.schedule(
    cron_schedule="0 4 * * *",
    execution_timezone=HOSPITAL_TIMEZONE.key,
    job=daily_pipeline_job,
    default_status=dg.DefaultScheduleStatus.STOPPED,
    description="The delivery day that just ended, at 04:00 in the hospital's time zone.",
)
def daily_pipeline_schedule(context: dg.ScheduleEvaluationContext):
    return _request_for_ended_day(context)


@dg.schedule(
    cron_schedule="0 6 * * 0",
    execution_timezone=HOSPITAL_TIMEZONE.key,
    job=retrain_job,
    default_status=dg.DefaultScheduleStatus.STOPPED,
    description="Retrains risk_model and rescores on Sundays at 06:00 local, as of Saturday.",
)
def weekly_retrain_schedule(context: dg.ScheduleEvaluationContext):
    return _request_for_ended_day(context)

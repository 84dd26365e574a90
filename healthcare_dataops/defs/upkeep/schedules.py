"""``lakehouse_upkeep_schedule``: table upkeep on Sundays at 03:00 in the hospital's time zone.

Stopped by default like the project's other schedules. 03:00 comes before the daily pipeline
(04:00) and the weekly retrain (06:00), and exists on every day daylight saving time changes.
"""

import dagster as dg

from healthcare_dataops import settings
from healthcare_dataops.defs.upkeep.jobs import lakehouse_upkeep_job


@dg.schedule(
    cron_schedule="0 3 * * 0",
    execution_timezone=settings.hospital_timezone().key,
    job=lakehouse_upkeep_job,
    default_status=dg.DefaultScheduleStatus.STOPPED,
    description="Compacts and vacuums the lakehouse on Sundays at 03:00 local.",
)
def lakehouse_upkeep_schedule(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
    # One run per Sunday, even if a tick is evaluated twice.
    return dg.RunRequest(run_key=context.scheduled_execution_time.date().isoformat())

"""Daily partitions keyed by the day a source delivered its files, in the hospital's time zone.

A delivery day is the hospital's calendar day: its window runs from local midnight to local
midnight (23 or 25 hours when daylight saving time changes), which is also what the
schedules and the UI's partition times show.
"""

from __future__ import annotations

import dagster as dg

from healthcare_dataops import settings

# end_offset=1: today's deliveries can be ingested today, not only once the day is over.
delivery_day_partitions = dg.DailyPartitionsDefinition(
    start_date=settings.first_delivery_day(), timezone=settings.hospital_timezone().key, end_offset=1
)

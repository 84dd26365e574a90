"""Daily partitions keyed by the day a source delivered its files."""

from __future__ import annotations

import dagster as dg

from healthcare_dataops import settings

# end_offset=1: today's deliveries can be ingested today, not only once the day is over.
delivery_day_partitions = dg.DailyPartitionsDefinition(
    start_date=settings.first_delivery_day(), end_offset=1
)

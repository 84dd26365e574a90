"""Which delivery day a streamed record belongs to, and where a micro-batch of a day stops."""

import datetime as dt

from healthcare_dataops import settings
from healthcare_dataops.lib.stream_micro_batch import belongs_to_later_day, delivery_day


def test_the_delivery_day_is_the_hospitals_calendar_day_of_the_broker_timestamp():
    zone = settings.hospital_timezone()
    late_evening = dt.datetime(2026, 3, 1, 23, 30, tzinfo=zone)
    assert delivery_day(late_evening.astimezone(dt.UTC)) == "2026-03-01"  # already 2 March in UTC


def test_a_batch_stops_at_a_later_day_that_has_a_partition_and_takes_one_that_has_none():
    now = dt.datetime.now(dt.UTC)
    today = delivery_day(now)
    yesterday = delivery_day(now - dt.timedelta(days=1))
    assert belongs_to_later_day(now, yesterday)  # today's records wait for today's batch
    assert not belongs_to_later_day(now, today)
    assert not belongs_to_later_day(now - dt.timedelta(days=3), today)  # a clock behind: this batch
    # A clock a year ahead: no partition for its day yet, so the batch takes it rather than stop the feed.
    assert not belongs_to_later_day(now + dt.timedelta(days=365), yesterday)

"""The schedules pick the delivery day that just ended in the hospital's zone, DST included."""

import datetime as dt
from zoneinfo import ZoneInfo

import dagster as dg
import pytest

from healthcare_dataops.defs.automation import schedules
from healthcare_dataops.defs.automation.schedules import (
    daily_pipeline_schedule,
    day_that_just_ended,
    weekly_retrain_schedule,
)

UTC = dt.UTC
NEW_YORK = ZoneInfo("America/New_York")


@pytest.fixture
def new_york():
    if schedules.HOSPITAL_TIMEZONE.key != NEW_YORK.key:
        pytest.skip("these expectations are for HEALTHCARE_DATAOPS_HOSPITAL_TIMEZONE=America/New_York")


def run_request(schedule, moment: dt.datetime):
    return schedule(dg.build_schedule_context(scheduled_execution_time=moment))


@pytest.mark.usefixtures("new_york")
@pytest.mark.parametrize(
    ("moment", "day"),
    [
        (dt.datetime(2026, 3, 8, 4, tzinfo=NEW_YORK), "2026-03-07"),  # the tick on the spring-forward day
        (dt.datetime(2026, 3, 8, 5, 5, tzinfo=UTC), "2026-03-07"),  # 00:05 EST
        (dt.datetime(2026, 3, 9, 4, 5, tzinfo=UTC), "2026-03-08"),  # 00:05 EDT; a fixed UTC-5 says 03-07
        (dt.datetime(2026, 3, 8, 4, 55, tzinfo=UTC), "2026-03-06"),  # 23:55 EST on 03-07, not over yet
        (dt.datetime(2026, 11, 1, 4, 30, tzinfo=UTC), "2026-10-31"),  # 00:30 EDT, the fall-back day
        (dt.datetime(2026, 11, 2, 4, 30, tzinfo=UTC), "2026-10-31"),  # 23:30 EST on 11-01; UTC-4 says 11-01
        (dt.datetime(2026, 11, 2, 5, 30, tzinfo=UTC), "2026-11-01"),  # 00:30 EST
    ],
)
def test_daily_pipeline_runs_the_day_that_just_ended(moment: dt.datetime, day: str):
    request = run_request(daily_pipeline_schedule, moment)
    assert (request.partition_key, request.run_key) == (day, day)


@pytest.mark.usefixtures("new_york")
def test_weekly_retrain_runs_as_of_saturday():
    request = run_request(weekly_retrain_schedule, dt.datetime(2026, 3, 8, 6, tzinfo=NEW_YORK))
    assert request.partition_key == "2026-03-07"
    assert weekly_retrain_schedule.job_name == "retrain_job"


@pytest.mark.usefixtures("new_york")
def test_no_run_before_the_first_delivery_day():
    result = run_request(daily_pipeline_schedule, dt.datetime(2025, 1, 1, 4, tzinfo=NEW_YORK))
    assert isinstance(result, dg.SkipReason)
    assert "2024-12-31 is before the first delivery day 2025-01-01" in result.skip_message


@pytest.mark.usefixtures("new_york")
def test_schedules_tick_in_the_hospital_zone_and_start_stopped():
    for schedule in (daily_pipeline_schedule, weekly_retrain_schedule):
        assert schedule.execution_timezone == "America/New_York"
        assert schedule.default_status == dg.DefaultScheduleStatus.STOPPED
    assert (daily_pipeline_schedule.cron_schedule, weekly_retrain_schedule.cron_schedule) == ("0 4 * * *", "0 6 * * 0")


def test_east_of_utc_the_local_day_is_not_the_utc_day():
    tokyo_tick = dt.datetime(2026, 3, 8, 4, tzinfo=ZoneInfo("Asia/Tokyo"))  # 19:00 UTC on 03-07
    assert day_that_just_ended(tokyo_tick, ZoneInfo("Asia/Tokyo")) == "2026-03-07"

"""The landing-zone sensor, ticked through Dagster on a landing zone of the test's own."""

import json
import os
import time
from pathlib import Path

import dagster as dg
import pytest

from healthcare_dataops.defs.landing.landing_days import SETTLE_SECONDS
from healthcare_dataops.defs.landing.landing_zone_sensor import landing_zone_sensor
from healthcare_dataops.resources import LandingZoneResource
from healthcare_dataops.resources.landing_zone import LandingFileStat

AN_HOUR_AGO = time.time() - 3600


def deliver(root: Path, relative_path: str, content: bytes = b"x", *, modified: float = AN_HOUR_AGO) -> Path:
    path = root / relative_path
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    os.utime(path, (modified, modified))
    return path


def tick(root: Path, cursor: str | None) -> dg.SensorResult:
    context = dg.build_sensor_context(cursor=cursor, resources={"landing_zone": LandingZoneResource(root=str(root))})
    return landing_zone_sensor(context)


def requested_days(result: dg.SensorResult) -> list[str]:
    return [request.partition_key for request in result.run_requests or []]


@pytest.fixture
def landing(tmp_path: Path) -> Path:
    deliver(tmp_path, "ehr/2026-01-05/patients.csv")
    deliver(tmp_path, "labs/2026-01-05/quest_20260105.hl7")
    deliver(tmp_path, "wearables/2026-01-06/fitbit_20260106.jsonl")
    return tmp_path


def test_each_day_with_deliveries_is_requested_once(landing: Path):
    first = tick(landing, None)
    assert requested_days(first) == ["2026-01-05", "2026-01-06"]
    assert {r.run_key.split(":")[0] for r in first.run_requests} == {"2026-01-05", "2026-01-06"}
    assert sorted(json.loads(first.cursor)) == ["2026-01-05", "2026-01-06"]

    again = tick(landing, first.cursor)
    assert not again.run_requests
    assert "No new or replaced deliveries" in again.skip_reason.skip_message
    assert again.cursor == first.cursor


def test_a_new_or_replaced_file_requests_its_day_only(landing: Path):
    first = tick(landing, None)
    deliver(landing, "labs/2026-01-06/labcorp_20260106.hl7")
    added = tick(landing, first.cursor)
    assert requested_days(added) == ["2026-01-06"]

    deliver(landing, "ehr/2026-01-05/patients.csv", b"corrected")  # same path, other size
    replaced = tick(landing, added.cursor)
    assert requested_days(replaced) == ["2026-01-05"]
    assert replaced.run_requests[0].run_key != first.run_requests[0].run_key

    os.utime(landing / "ehr/2026-01-05/patients.csv", (AN_HOUR_AGO + 60, AN_HOUR_AGO + 60))
    assert requested_days(tick(landing, replaced.cursor)) == ["2026-01-05"]  # same size, new time


def test_folders_that_are_not_partitions_are_reported_not_run(landing: Path):
    cursor = tick(landing, None).cursor
    deliver(landing, "ehr/2024-12-31/patients.csv")  # before the first delivery day, 2025-01-01
    deliver(landing, "labs/latest/quest.hl7")
    deliver(landing, "labs/2026-02-30/quest.hl7")
    deliver(landing, "wearables/2099-01-01/fitbit.jsonl")
    result = tick(landing, cursor)
    assert not result.run_requests
    reason = result.skip_reason.skip_message
    assert "before the first delivery day 2025-01-01: ['ehr/2024-12-31']" in reason
    assert "not a YYYY-MM-DD day folder: ['labs/2026-02-30', 'labs/latest']" in reason
    assert "not a delivery-day partition yet" in reason and "wearables/2099-01-01" in reason
    assert result.cursor == cursor


def test_dotfiles_are_not_deliveries(landing: Path):
    cursor = tick(landing, None).cursor
    deliver(landing, "ehr/2026-01-05/.patients.csv.swp")
    deliver(landing, "ehr/2026-01-07/.~lock.encounters.csv#")
    deliver(landing, "ehr/.hidden/patients.csv")
    assert not tick(landing, cursor).run_requests


def test_a_day_still_being_written_waits_until_it_settles(landing: Path):
    cursor = tick(landing, None).cursor
    uploading = deliver(landing, "labs/2026-01-05/labcorp_20260105.hl7", modified=time.time())
    held = tick(landing, cursor)
    assert not held.run_requests
    assert "Still arriving" in held.skip_reason.skip_message
    assert held.cursor == cursor  # the day keeps its old fingerprint until the upload settles

    settled = time.time() - SETTLE_SECONDS - 1
    os.utime(uploading, (settled, settled))
    assert requested_days(tick(landing, held.cursor)) == ["2026-01-05"]


def test_snapshot_stats_without_reading(landing: Path):
    deliver(landing, "ehr/2026-01-05/.patients.csv.swp")
    snapshot = LandingZoneResource(root=str(landing)).snapshot()
    modified = (landing / "ehr/2026-01-05/patients.csv").stat().st_mtime_ns
    assert snapshot[0] == LandingFileStat("ehr/2026-01-05/patients.csv", 1, modified)
    assert [f.relative_path for f in snapshot[1:]] == [
        "labs/2026-01-05/quest_20260105.hl7", "wearables/2026-01-06/fitbit_20260106.jsonl",
    ]

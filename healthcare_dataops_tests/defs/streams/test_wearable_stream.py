"""Wearable data points in real time: published to the wearables topic keyed by device (as
wearable platforms publish them), taken by ``wearable_stream_sensor``'s micro-batch into
bronze, silver readings and the hourly vitals of the day, beside the day's file rows."""

import datetime as dt
import json
import uuid

import dagster as dg
import pyarrow.compute as pc
import pytest
from confluent_kafka import Producer
from deltalake import DeltaTable

from healthcare_dataops.defs.streams.wearable_stream_sensor import wearable_stream_sensor
from healthcare_dataops.streaming.topics import WEARABLES_TOPIC
from healthcare_dataops_tests.defs.streams.test_lab_stream import Stream

pytestmark = pytest.mark.slow


def heart_rate(device: str, at: dt.datetime, beats: int) -> bytes:
    return json.dumps({
        "header": {"id": str(uuid.uuid4()), "creation_date_time": at.isoformat(),
                   "schema_id": {"namespace": "omh", "name": "heart-rate", "version": "2.0"},
                   "acquisition_provenance": {"source_name": "PulseWear Band 3", "modality": "sensed"},
                   "user_id": device},
        "body": {"heart_rate": {"value": beats, "unit": "beats/min"},
                 "effective_time_frame": {"date_time": at.isoformat()}},
    }).encode()


def test_published_data_points_reach_silver_readings_and_the_days_vitals(small_lakehouse, broker, tmp_path):
    stream = Stream(tmp_path, small_lakehouse.copy_lakehouse(tmp_path), broker, listener=None)
    devices = DeltaTable(str(stream.lakehouse / "bronze" / "wearable_enrollments_raw")).to_pyarrow_table(
        columns=["device_id"])["device_id"].to_pylist()[:2]
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    producer = Producer({"bootstrap.servers": broker.bootstrap_servers, "acks": "all"})
    points = [(device, heart_rate(device, now - dt.timedelta(minutes=5 * n), 60 + n)) for n in range(6)
              for device in devices]
    points += [("WD-NOT-ENROLLED", heart_rate("WD-NOT-ENROLLED", now, 70)), (devices[0], b"{not json")]
    for device, value in points:
        producer.produce(WEARABLES_TOPIC, key=device.encode(), value=value)
    assert producer.flush(10) == 0

    with dg.build_sensor_context(instance=stream.instance, definitions=stream.defs,
                                 resources=stream.resources) as context:
        requests = wearable_stream_sensor(context).run_requests
    assert len(requests) == 1
    result = stream.defs.resolve_job_def("wearable_stream_job").execute_in_process(
        partition_key=requests[0].partition_key, instance=stream.instance)
    assert result.success

    bronze = stream.streamed("bronze", "wearable_readings_raw")
    assert bronze.num_rows == 12 + 1
    assert set(bronze["device_id"].to_pylist()) == {*devices, "WD-NOT-ENROLLED"}
    quarantined = stream.streamed("bronze", "wearable_bronze_quarantine")
    assert [r.startswith("line is not valid JSON") for r in quarantined["reason"].to_pylist()] == [True]
    readings = stream.streamed("silver", "wearable_readings")
    assert readings.num_rows == 12
    assert set(readings["measure"].to_pylist()) == {"heart_rate"}
    unattributed = stream.table("silver", "wearable_readings_quarantine")
    unattributed = unattributed.filter(pc.starts_with(unattributed["source_position"], "offset "))
    assert unattributed["reason"].to_pylist() == ["device not enrolled to a patient"]
    vitals = stream.table("silver", "wearable_vitals")
    days = {d.isoformat() for d in readings["measured_date"].to_pylist()}
    assert days <= {d.isoformat() for d in vitals["measured_date"].to_pylist()}
    # The day's file rows are still there: a micro-batch only appends.
    files = DeltaTable(str(stream.lakehouse / "bronze" / "wearable_readings_raw")).to_pyarrow_table(
        columns=["source_file"])
    assert files.num_rows - files["source_file"].null_count > 0

"""Lab results in real time through Dagster: the hl7 library's MLLP client sends to the
listener process, the real broker holds them, ``lab_stream_sensor`` asks for a micro-batch and
``lab_stream_job`` takes them into bronze and silver; then a micro-batch SIGKILLed mid-write
(the ``dagster`` CLI in its own process group) and run again loses and repeats nothing."""

import datetime as dt

import dagster as dg
import pyarrow.compute as pc
import pytest
from deltalake import DeltaTable
from hl7.client import MLLPClient

from healthcare_dataops import settings
from healthcare_dataops.benchmark.mllp_traffic import oru_message, read_acknowledgement
from healthcare_dataops.definitions import defs as project
from healthcare_dataops.defs.streams.lab_stream_sensor import lab_stream_sensor
from healthcare_dataops.lakehouse.silver_writer import UNKNOWN_PATIENT
from healthcare_dataops.resources import (
    KafkaResource,
    LakehouseResource,
    LandingZoneResource,
    PseudonymizationResource,
    SparkResource,
)
from healthcare_dataops_tests.dagster_helpers import mlflow_resource
from healthcare_dataops_tests.reliability.crash import WriteInProgress, cli_env, materialize_argv, run_and_kill

pytestmark = pytest.mark.slow
BAD_OBX = "OBX|4|NM|||7|mg/dL|||||F"  # no OBX-3


class Stream:
    def __init__(self, root, lakehouse, broker, listener):
        self.root, self.lakehouse, self.broker, self.listener = root, lakehouse, broker, listener
        self.resources = {
            "landing_zone": LandingZoneResource(root=str(root / "landing")),
            "lakehouse": LakehouseResource(root=str(lakehouse)),
            "spark": SparkResource(), "pseudonymization": PseudonymizationResource(),
            "mlflow_tracking": mlflow_resource(lakehouse),
            "kafka": KafkaResource(bootstrap_servers=broker.bootstrap_servers, poll_timeout_seconds=15),
        }
        self.defs = dg.Definitions(assets=project.assets, asset_checks=project.asset_checks, jobs=project.jobs,
                                   sensors=project.sensors, resources=self.resources, executor=project.executor)
        self.instance = dg.DagsterInstance.ephemeral()
        mrns = DeltaTable(str(lakehouse / "bronze" / "ehr_patients")).to_pyarrow_table(columns=["id"])["id"]
        self.mrns = sorted(mrns.to_pylist())[:4]

    def send(self, messages: list[str]) -> list[str]:
        with MLLPClient("127.0.0.1", self.listener.port) as client:
            return [read_acknowledgement(client.send_message(m)).code for m in messages]

    def tick(self):
        with dg.build_sensor_context(instance=self.instance, definitions=self.defs, resources=self.resources) as ctx:
            return lab_stream_sensor(ctx)

    def run_requested(self) -> tuple[str, dg.ExecuteInProcessResult]:
        requests = self.tick().run_requests
        assert len(requests) == 1
        day = requests[0].partition_key
        job = self.defs.resolve_job_def("lab_stream_job")
        return day, job.execute_in_process(partition_key=day, instance=self.instance)

    def table(self, layer: str, name: str):
        return DeltaTable(str(self.lakehouse / layer / name)).to_pyarrow_table()

    def streamed(self, layer: str, name: str):
        rows = self.table(layer, name)
        if layer == "bronze":
            return rows.filter(pc.is_valid(rows["source_offset"]))
        return rows.filter(pc.starts_with(rows["source_position"], "offset "))


@pytest.fixture(scope="module")
def stream(small_lakehouse, broker, listener, tmp_path_factory):
    root = tmp_path_factory.mktemp("lab-stream")
    return Stream(root, small_lakehouse.copy_lakehouse(root), broker, listener)


@pytest.fixture(scope="module")
def first_batch(stream):
    """12 results messages of 4 known patients, one resent (same MSH-10), one of a patient the
    EHR does not know, one with a result without OBX-3, and one that is not HL7 at all."""
    now = dt.datetime.now(dt.UTC)
    known = [oru_message(f"RT{n}", stream.mrns[n % 4], observed=now) for n in range(12)]
    sent = [*known, known[0], oru_message("RT-STRANGER", "NOT-A-PATIENT", observed=now),
            oru_message("RT-BADOBX", stream.mrns[0], observed=now) + BAD_OBX + "\r", "not HL7"]
    codes = stream.send(sent)
    day, result = stream.run_requested()
    return codes, day, result


def test_each_acknowledged_result_is_in_bronze_as_sent_and_in_silver_once(stream, first_batch):
    codes, day, result = first_batch
    assert codes == ["AA"] * 15 + ["AR"]
    assert result.success
    bronze = stream.streamed("bronze", "lab_results_raw")
    assert bronze.num_rows == 15 * 3  # every OBX of every accepted message, the resend included
    assert {d.isoformat() for d in bronze["delivery_date"].to_pylist()} == {day}
    quarantined = stream.streamed("bronze", "lab_bronze_quarantine")
    assert quarantined["reason"].to_pylist() == ["OBX segment has no OBX-3 observation identifier"]

    silver = stream.streamed("silver", "lab_results")
    keys = list(zip(silver["message_key"].to_pylist(), silver["obx_set_id"].to_pylist(), strict=True))
    assert len(keys) == len(set(keys)) == (12 + 1) * 3  # the resend once; the stranger's not at all
    unknown = stream.table("silver", "lab_results_quarantine").filter(
        pc.starts_with(stream.table("silver", "lab_results_quarantine")["source_position"], "offset "))
    assert unknown["reason"].to_pylist() == [UNKNOWN_PATIENT] * 3
    counts = stream.instance.get_latest_materialization_event(dg.AssetKey("lab_results")).asset_materialization
    assert (counts.metadata["duplicates_removed"].value, counts.metadata["rows_quarantined"].value) == (3, 3)


def test_the_batch_is_the_days_materialization_and_the_next_tick_waits_for_new_messages(stream, first_batch):
    _codes, day, _result = first_batch
    for asset in ("lab_results_raw", "lab_bronze_quarantine", "lab_results"):
        record = stream.instance.get_latest_materialization_event(dg.AssetKey(asset))
        assert record.asset_materialization.partition == day, asset
    raw = stream.instance.get_latest_materialization_event(dg.AssetKey("lab_results_raw")).asset_materialization
    assert raw.metadata["records_read"].value == 15
    skipped = stream.tick()
    assert isinstance(skipped, dg.SkipReason) and "No new records" in skipped.skip_message


def test_a_micro_batch_killed_mid_write_and_run_again_loses_and_repeats_nothing(stream, first_batch, tmp_path):
    now = dt.datetime.now(dt.UTC)
    more = [oru_message(f"KILL{n}", stream.mrns[n % 4], observed=now) for n in range(120)]
    assert set(stream.send(more)) == {"AA"}
    raw_table = stream.lakehouse / "bronze" / "lab_results_raw"
    env = {**cli_env(tmp_path, stream.root / "landing"),
           settings.LAKEHOUSE_ROOT: str(stream.lakehouse),
           settings.KAFKA_BOOTSTRAP_SERVERS: stream.broker.bootstrap_servers}
    argv = materialize_argv(["lab_results_raw", "lab_bronze_quarantine"], first_batch[1],
                            {"ops": {"lab_bronze": {"config": {"read_topic": True}}}})
    trigger = WriteInProgress(raw_table).arm()
    kill = run_and_kill(argv, env, tmp_path / "killed.log", trigger)
    assert kill.exit_code == -9
    assert trigger.caught(), "the kill came after the commit, not mid-write"
    assert stream.streamed("bronze", "lab_results_raw").num_rows == 15 * 3  # nothing of the killed write

    _day, result = stream.run_requested()
    assert result.success
    bronze = stream.streamed("bronze", "lab_results_raw")
    positions = list(zip(*(bronze[c].to_pylist() for c in ("source_partition", "source_offset", "source_segment")),
                         strict=True))
    assert len(positions) == len(set(positions)) == (15 + 120) * 3
    silver = stream.streamed("silver", "lab_results")
    assert silver.num_rows == len(set(silver["message_key"].to_pylist())) * 3 == (13 + 120) * 3

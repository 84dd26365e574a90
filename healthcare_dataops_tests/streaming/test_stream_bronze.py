"""Exactly once into bronze: the offsets ride in the rows' own Delta commit, so a batch cut off
between its commits, written twice, or written by two writers at once leaves every record
once; and the daily file runs of a day leave its streamed rows alone."""

import datetime as dt
import threading

import pyarrow as pa
import pyarrow.compute as pc
import pytest
from deltalake import DeltaTable, write_deltalake

from healthcare_dataops.benchmark.mllp_traffic import oru_message
from healthcare_dataops.defs.bronze.labs import LAB_QUARANTINE, LAB_RESULTS_RAW, parse_lab_record
from healthcare_dataops.formats.hl7v2 import parse_hl7_file
from healthcare_dataops.lakehouse.bronze_writer import BronzeWriter, Delivery
from healthcare_dataops.lakehouse.delta_tables import DeltaWriteError
from healthcare_dataops.resources import LakehouseResource, LandingZoneResource
from healthcare_dataops.streaming.stream_bronze import StreamTarget, first_unwritten, write_batch
from healthcare_dataops.streaming.topic_reader import BrokerRecord, TopicRead
from healthcare_dataops.streaming.topics import LABS_TOPIC, offset_app_id

DAY = "2026-12-01"
STAMP = dt.datetime(2026, 12, 1, 15, 0, tzinfo=dt.UTC)
BAD_OBX = "OBX|4|NM|||7|mg/dL|||||F"  # no OBX-3: quarantined, the message's other results kept


def _read(count_by_partition: dict[int, int], *, first_offset: int = 0) -> TopicRead:
    records = []
    for partition, count in count_by_partition.items():
        for offset in range(first_offset, first_offset + count):
            text = oru_message(f"P{partition}O{offset}", f"MRN-{partition}", observed=STAMP)
            if offset % 2:
                text += BAD_OBX + "\r"
            records.append(BrokerRecord(partition, offset, STAMP, f"MRN-{partition}".encode(), text.encode()))
    return TopicRead(LABS_TOPIC, records)


def _target(lakehouse: LakehouseResource, quarantine_uri: str | None = None) -> StreamTarget:
    return StreamTarget(LAB_RESULTS_RAW, lakehouse.table_uri("bronze", LAB_RESULTS_RAW.name),
                        quarantine_uri or lakehouse.table_uri("bronze", LAB_QUARANTINE), {})


def _rows(uri: str):
    return DeltaTable(uri).to_pyarrow_table()


def _keys(table) -> list[tuple]:
    return sorted(zip(*(table[c].to_pylist() for c in ("source_partition", "source_offset", "source_segment")),
                      strict=True))


@pytest.fixture
def lakehouse(tmp_path) -> LakehouseResource:
    return LakehouseResource(root=str(tmp_path / "lakehouse"))


def test_a_batch_cut_off_between_its_commits_is_completed_by_the_next_without_a_duplicate(lakehouse, tmp_path):
    read = _read({0: 4, 1: 3})
    # A quarantine table its commit cannot go to (partitioned otherwise): the rows commit first.
    blocked = tmp_path / "quarantine-refusing-commits"
    write_deltalake(str(blocked), pa.table({"reason": [1]}))
    with pytest.raises(DeltaWriteError, match="quarantine-refusing-commits"):
        write_batch(_target(lakehouse, str(blocked)), read, DAY, parse_lab_record)
    target = _target(lakehouse)
    rows_after_cut = _rows(target.table_uri)
    assert rows_after_cut.num_rows == 7 * 3  # the rows' commit landed, with its offsets
    assert first_unwritten(target, LABS_TOPIC, [0, 1]) == {0: None, 1: None}  # the quarantine has none yet

    report = write_batch(target, read, DAY, parse_lab_record)
    assert (report.rows_written, report.rows_quarantined) == (0, 3)  # rows already there; quarantine only
    assert _keys(_rows(target.table_uri)) == _keys(rows_after_cut)
    quarantine = _rows(target.quarantine_uri)
    assert sorted(zip(quarantine["source_partition"].to_pylist(), quarantine["source_offset"].to_pylist(),
                      strict=True)) == [(0, 1), (0, 3), (1, 1)]
    assert set(quarantine["reason"].to_pylist()) == {"OBX segment has no OBX-3 observation identifier"}
    assert first_unwritten(target, LABS_TOPIC, [0, 1]) == {0: 4, 1: 3}


def test_the_same_records_written_again_add_nothing_and_later_ones_append(lakehouse):
    target = _target(lakehouse)
    write_batch(target, _read({0: 3, 1: 2}), DAY, parse_lab_record)
    again = write_batch(target, _read({0: 3, 1: 2}), DAY, parse_lab_record)
    assert (again.rows_written, again.rows_quarantined) == (0, 0)
    write_batch(target, _read({0: 2}, first_offset=3), DAY, parse_lab_record)
    rows = _rows(target.table_uri)
    assert len(_keys(rows)) == len(set(_keys(rows))) == 7 * 3
    table = DeltaTable(target.table_uri)
    assert (table.transaction_version(offset_app_id(LABS_TOPIC, 0)),
            table.transaction_version(offset_app_id(LABS_TOPIC, 1))) == (4, 1)
    assert set(rows["broker_timestamp"].to_pylist()) == {STAMP}
    assert rows["source_file"].null_count == rows.num_rows  # a streamed row names no file


def test_two_writers_of_the_same_records_at_once_never_duplicate_them(lakehouse):
    target = _target(lakehouse)
    write_batch(target, _read({0: 1}), DAY, parse_lab_record)  # the tables exist
    read = _read({0: 20, 1: 20}, first_offset=1)
    outcomes = []

    def write():
        try:
            outcomes.append(write_batch(target, read, DAY, parse_lab_record).rows_written)
        except DeltaWriteError as refused:
            outcomes.append(str(refused))

    writers = [threading.Thread(target=write) for _ in range(2)]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join()
    rows = _rows(target.table_uri)
    assert len(_keys(rows)) == len(set(_keys(rows))) == (1 + 40) * 3
    # Either the second saw the first's offsets and wrote nothing, or its commit was refused.
    written = sorted(o for o in outcomes if isinstance(o, int))
    refused = [o for o in outcomes if isinstance(o, str)]
    assert (written, refused) == ([0, 120], []) or (written == [120] and "Concurrent transaction" in refused[0])


def test_a_file_run_of_the_day_replaces_its_files_rows_and_keeps_the_streamed_ones(lakehouse, tmp_path):
    target = _target(lakehouse)
    write_batch(target, _read({0: 2, 2: 2}), DAY, parse_lab_record)
    folder = tmp_path / "landing" / "labs" / DAY
    folder.mkdir(parents=True)
    (folder / "northlab_2026-12-01.hl7").write_text(oru_message("FILE1", "MRN-7", observed=STAMP))
    landing = LandingZoneResource(root=str(tmp_path / "landing"))
    for _ in range(2):  # a re-run of the day
        writer = BronzeWriter(lakehouse, landing, LAB_QUARANTINE)
        deliveries = [Delivery(DAY, f, lambda s, _f: parse_hl7_file(s)) for f in landing.files("labs", DAY)]
        writer.ingest(LAB_RESULTS_RAW, [DAY], deliveries)
        writer.commit_quarantine()
    rows = _rows(target.table_uri)
    streamed = rows.filter(pc.is_valid(rows["source_offset"]))
    from_file = rows.filter(pc.is_valid(rows["source_file"]))
    assert len(_keys(streamed)) == len(set(_keys(streamed))) == 4 * 3
    assert from_file.num_rows == 3 and from_file["source_topic"].null_count == 3
    assert _rows(target.quarantine_uri).num_rows == 2  # the streamed bad OBXs, kept by the file run

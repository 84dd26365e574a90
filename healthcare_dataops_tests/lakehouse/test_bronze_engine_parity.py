"""Bronze read on the engine equals bronze read by the Python parsers, table for table.

The same landing zone is ingested twice: once with the engine (data points a line read and
parsed by Sail) and once without (every file through the Python parsers, the reference).
Both must give the same bronze rows, the same quarantine rows and the same per-day counts, on
generated feeds with every fault kind and on the real wearable samples written as lines.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pyarrow as pa
import pytest

from healthcare_dataops import landing_layout as layout
from healthcare_dataops.defs.bronze.wearables import (
    WEARABLE_ENROLLMENTS_RAW,
    WEARABLE_QUARANTINE,
    WEARABLE_READINGS_RAW,
    wearable_deliveries,
)
from healthcare_dataops.lakehouse.bronze_writer import BronzeWriter
from healthcare_dataops.resources import LakehouseResource, LandingZoneResource
from healthcare_dataops_tests.dagster_helpers import read_table

DAYS = ["2026-01-01", "2026-01-02", "2026-01-03", "2026-01-04"]
# What differs between two ingestions by design: when they ran.
NOT_COMPARED = {"ingested_at"}


def _ingest(landing: Path, lakehouse: Path, days: list[str], spark, *, chunk_days: int = 7):
    zone, house = LandingZoneResource(root=str(landing)), LakehouseResource(root=str(lakehouse))
    writer = BronzeWriter(house, zone, WEARABLE_QUARANTINE, spark=spark, chunk_days=chunk_days)
    readings, enrollments = wearable_deliveries(zone, days)
    reports = [writer.ingest(WEARABLE_READINGS_RAW, days, readings),
               writer.ingest(WEARABLE_ENROLLMENTS_RAW, days, enrollments)]
    return reports, writer.commit_quarantine()


def _sorted_rows(lakehouse: Path, table: str, keys: list[str]) -> list[dict]:
    rows = read_table(lakehouse, "bronze", table)
    rows = rows.select([c for c in rows.column_names if c not in NOT_COMPARED])
    return rows.sort_by([(k, "ascending") for k in keys]).to_pylist()


def _assert_same(engine_lake: Path, python_lake: Path) -> None:
    for table, keys in ((WEARABLE_READINGS_RAW.name, ["source_file", "source_record"]),
                        (WEARABLE_QUARANTINE, ["source_file", "source_position"])):
        engine, python = _sorted_rows(engine_lake, table, keys), _sorted_rows(python_lake, table, keys)
        assert len(engine) == len(python), table
        differing = [(a, b) for a, b in zip(engine, python, strict=True) if a != b]
        assert differing[:3] == [], table


def _counts(report) -> dict:
    return {day: (c.rows_written, c.rows_quarantined, sorted(c.files_ingested), c.files_skipped,
                  sorted(c.files_empty), c.files_decoded) for day, c in report.days.items()}


@pytest.fixture(scope="module")
def faulty_feeds(faulty_lakehouse) -> Path:
    """The shared build's landing zone: 60 patients over 4 days with every fault kind."""
    assert [faulty_lakehouse.first_day, faulty_lakehouse.last_day] == [DAYS[0], DAYS[-1]]
    return faulty_lakehouse.landing


def test_generated_feeds_with_every_fault_give_the_same_bronze(spark, faulty_feeds, tmp_path):
    (engine_reports, engine_quarantine) = _ingest(faulty_feeds, tmp_path / "engine", DAYS, spark, chunk_days=2)
    (python_reports, python_quarantine) = _ingest(faulty_feeds, tmp_path / "python", DAYS, None)
    _assert_same(tmp_path / "engine", tmp_path / "python")
    assert engine_reports[0].files_read_on_engine > 0 and python_reports[0].files_read_on_engine == 0
    for engine, python in zip(engine_reports, python_reports, strict=True):
        assert _counts(engine) == _counts(python)
    assert engine_quarantine.reasons_by_day == python_quarantine.reasons_by_day
    # The faults that reach the wearable feed's lines are there, in both.
    reasons = {r for day in engine_quarantine.reasons_by_day.values() for r in day}
    assert any(r.startswith("line is not valid JSON") for r in reasons)
    # Two chunks of two days: two commits of the readings table.
    assert engine_reports[0].commits == 2


def test_running_the_same_days_again_on_the_engine_changes_no_row(spark, faulty_feeds, tmp_path):
    first, _ = _ingest(faulty_feeds, tmp_path / "lake", DAYS, spark)
    before = _sorted_rows(tmp_path / "lake", WEARABLE_READINGS_RAW.name, ["source_file", "source_record"])
    again, _ = _ingest(faulty_feeds, tmp_path / "lake", DAYS, spark)
    assert _sorted_rows(tmp_path / "lake", WEARABLE_READINGS_RAW.name, ["source_file", "source_record"]) == before
    # The feed's re-delivered day is skipped both times, as a re-delivery of the same files.
    assert again[0].files_skipped == first[0].files_skipped != {}


def test_real_samples_as_lines_give_the_same_bronze(spark, samples_dir, tmp_path):
    day = DAYS[0]
    folder = tmp_path / "landing" / layout.day_folder(layout.WEARABLES, day)
    folder.mkdir(parents=True)
    samples = samples_dir / "wearables"
    documents = sorted((samples / "openmhealth").glob("*.json"))
    # Each schema sample on a line of its own (newlines never sit inside JSON strings), bare
    # and wrapped in a header, beside the samples as the documents and export they are.
    lines = [doc.read_text().replace("\n", " ").strip() for doc in documents]
    header = {"user_id": "WD-SAMPLE", "schema_id": {"namespace": "omh", "name": "heart-rate", "version": "2.0"}}
    wrapped = [json.dumps({"header": header, "body": json.loads(line)}) for line in lines]
    (folder / "samples_20260101.jsonl").write_text("\n".join(lines + wrapped) + "\n")
    for doc in documents:
        shutil.copy(doc, folder / doc.name)
    shutil.copy(next((samples / "apple_health").glob("*.xml")), folder / "WD-APPLE.xml")
    _ingest(tmp_path / "landing", tmp_path / "engine", [day], spark)
    _ingest(tmp_path / "landing", tmp_path / "python", [day], None)
    _assert_same(tmp_path / "engine", tmp_path / "python")
    assert read_table(tmp_path / "engine", "bronze", WEARABLE_READINGS_RAW.name).num_rows > len(documents) * 3


def test_a_file_with_a_mark_of_another_encoding_is_read_decoded(spark, tmp_path):
    folder = tmp_path / "landing" / layout.day_folder(layout.WEARABLES, DAYS[0])
    folder.mkdir(parents=True)
    point = '{"header":{"user_id":"WD-1"},"body":{"heart_rate":{"value":61,"unit":"beats/min"}}}'
    (folder / "utf16_20260101.jsonl").write_bytes("\n".join([point, "", point.replace("61", "62")]).encode("utf-16"))
    (folder / "latin_20260101.jsonl").write_bytes(
        point.encode() + b"\n" + '{"note":"caf\xe9"}'.encode("latin-1") + b"\n")
    engine_reports, _ = _ingest(tmp_path / "landing", tmp_path / "engine", [DAYS[0]], spark)
    python_reports, _ = _ingest(tmp_path / "landing", tmp_path / "python", [DAYS[0]], None)
    _assert_same(tmp_path / "engine", tmp_path / "python")
    assert _counts(engine_reports[0]) == _counts(python_reports[0])
    quarantine = read_table(tmp_path / "engine", "bronze", WEARABLE_QUARANTINE).to_pylist()
    assert [(q["reason"], json.loads(q["detail"])["raw_hex"]) for q in quarantine] == [
        ("line is not valid UTF-8 at byte 12", '{"note":"caf\xe9"}'.encode("latin-1").hex())
    ]
    assert engine_reports[0].days[DAYS[0]].files_decoded == {"wearables/2026-01-01/utf16_20260101.jsonl": "UTF-16LE"}


def test_empty_files_and_copies_in_the_same_run(spark, tmp_path):
    landing = tmp_path / "landing"
    point = '{"header":{"user_id":"WD-1"},"body":{"heart_rate":{"value":61,"unit":"beats/min"}}}\n'
    for day in DAYS[:2]:
        folder = landing / layout.day_folder(layout.WEARABLES, day)
        folder.mkdir(parents=True)
        (folder / f"empty_{day.replace('-', '')}.jsonl").write_text("\n \n")
        (folder / "copy.jsonl").write_text(point)
    engine_reports, _ = _ingest(landing, tmp_path / "engine", DAYS[:2], spark)
    python_reports, _ = _ingest(landing, tmp_path / "python", DAYS[:2], None)
    assert _counts(engine_reports[0]) == _counts(python_reports[0])
    day2 = engine_reports[0].days[DAYS[1]]
    assert day2.files_skipped == {"wearables/2026-01-02/copy.jsonl": "wearables/2026-01-01/copy.jsonl"}
    assert len(day2.files_empty) == 1
    engine_rows = _sorted_rows(tmp_path / "engine", WEARABLE_READINGS_RAW.name, ["source_file"])
    assert pa.Table.from_pylist(engine_rows).num_rows == 1

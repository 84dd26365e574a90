"""The block reading of Synthea CSV gives exactly what the line-at-a-time reference gives.

``parse_synthea_csv`` and ``parse_enrollment_csv`` read a file a block of lines at a time;
``reference=True`` reads it a line at a time, as they did before. Both must yield the same
rows and rejections in the same order (values and their column order, positions, reasons,
raw text, detail), whatever the block size, so every file is also read in blocks small
enough that records run across them.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import pytest

from healthcare_dataops.formats import csv_blocks, synthea_csv, synthea_csv_lines
from healthcare_dataops.formats.encodings import as_utf8
from healthcare_dataops.formats.records import EHR_COLUMNS, ParsedRow
from healthcare_dataops.formats.synthea_csv import parse_enrollment_csv, parse_synthea_csv
from healthcare_dataops.generate.faults import KINDS
from healthcare_dataops.generate.runner import Options, generate
from healthcare_dataops_tests.formats.streams import trickle
from healthcare_dataops_tests.formats.synthea_csv_cases import EDGE_CASES, mutated_files

# The default, a few bytes (every line a block of its own), and sizes that cut lines.
BLOCK_SIZES = (csv_blocks.BLOCK_BYTES, 1, 7, 100)


def _parse(stream, table: str, reference: bool):
    if table == "enrollment":
        return parse_enrollment_csv(stream, reference=reference)
    return parse_synthea_csv(stream, table, reference=reference)


def _outcome(data: bytes, table: str, reference: bool, raw_stream: bool = False) -> list[tuple]:
    """Every result as a comparable tuple (an exception the last), of the file as bronze
    hands it to the parser (UTF-16 and UTF-32 as UTF-8); ``raw_stream`` hands it out a byte
    per read."""
    delivered, _ = as_utf8(io.BytesIO(data))
    stream = trickle(delivered.read()) if raw_stream else delivered
    results: list[tuple] = []
    try:
        for result in _parse(stream, table, reference):
            results.append(_comparable(result))
    except Exception as err:  # the reference's own failures must match too
        results.append(("raised", type(err).__name__, str(err)))
    return results


def _comparable(result) -> tuple:
    if isinstance(result, ParsedRow):
        return ("row", type(result), result.position, tuple(result.values.items()), vars(result))
    detail = tuple(sorted(result.detail.items()))
    return ("rejected", type(result), result.position, result.reason, result.raw_text, detail)


def assert_same_as_reference(
    data: bytes, table: str, monkeypatch, block_sizes=BLOCK_SIZES
) -> list[tuple]:
    """The results, identical in both readings at every block size."""
    reference = _outcome(data, table, reference=True)
    for size in block_sizes:
        monkeypatch.setattr(csv_blocks, "BLOCK_BYTES", size)
        assert _outcome(data, table, reference=False) == reference, f"blocks of {size} bytes"
    return reference


def _kinds(results: list[tuple]) -> tuple[int, int]:
    return sum(r[0] == "row" for r in results), sum(r[0] == "rejected" for r in results)


def test_real_samples_under_every_table(samples_dir, monkeypatch):
    """Each real export read as each table: its own mapping, others' extra or missing columns."""
    paths = sorted((samples_dir / "synthea_csv").glob("*.csv"))
    assert len(paths) >= 5
    rows = 0
    for path in paths:
        for table in EHR_COLUMNS:
            results = assert_same_as_reference(path.read_bytes(), table, monkeypatch, (65536, 100))
            rows += _kinds(results)[0]
            if path.stem == table:
                assert results and all(r[0] == "row" for r in results), path.name
    assert rows > 2_700


@pytest.fixture(scope="module")
def faulted_feed(tmp_path_factory) -> Path:
    """EHR and enrollment files of 60 patients over 4 days, with every fault the generator
    can inject."""
    root = tmp_path_factory.mktemp("synthea_csv_parity")
    start = dt.date(2026, 1, 1)
    generate(Options(landing=root / "landing", side=root / "side", patients=60, days=4,
                     start_date=start, epoch=start, faults=KINDS, sources=("ehr", "wearables")))
    return root


def test_generated_feed_with_every_fault(faulted_feed, monkeypatch):
    manifest = (faulted_feed / "side" / "manifest.json").read_text()
    csv_kinds = [k for k in KINDS if k.startswith(("csv_", "enrollment_")) or "csv" in k]
    assert csv_kinds and all(f'"kind": "{kind}"' in manifest for kind in csv_kinds)
    paths = sorted((faulted_feed / "landing").glob("*/*/*.csv"))
    rows = rejected = 0
    for path in paths:
        table = "enrollment" if path.stem == "device_enrollment" else path.stem
        results = assert_same_as_reference(path.read_bytes(), table, monkeypatch, (65536, 100))
        rows, rejected = rows + _kinds(results)[0], rejected + _kinds(results)[1]
    assert rows > 3_000 and rejected >= 4  # the faults were read, not skipped


@pytest.mark.parametrize("name", sorted(EDGE_CASES))
def test_edge_case(name, monkeypatch):
    table, data = EDGE_CASES[name]
    assert_same_as_reference(data, table, monkeypatch)


@pytest.mark.parametrize("name", sorted(EDGE_CASES))
def test_edge_case_read_a_byte_at_a_time(name):
    table, data = EDGE_CASES[name]
    assert _outcome(data, table, False, raw_stream=True) == _outcome(data, table, True)


def test_randomly_mutated_files(monkeypatch):
    rows = rejected = 0
    for data in mutated_files(seed=20260105, count=400):
        results = assert_same_as_reference(data, "conditions", monkeypatch)
        rows, rejected = rows + _kinds(results)[0], rejected + _kinds(results)[1]
    assert rows > 1_000 and rejected > 200  # mutations leave most rows readable, not all


def test_randomly_mutated_files_under_a_small_field_limit(monkeypatch):
    """A limit that the rows' own fields reach, so that the limit's errors come often."""
    old_limit = csv.field_size_limit(30)
    try:
        for data in mutated_files(seed=7, count=150):
            assert_same_as_reference(data, "conditions", monkeypatch, (65536, 7))
    finally:
        csv.field_size_limit(old_limit)


def _tape_records(monkeypatch) -> list[int]:
    """The lines the tape reads records from, record by record, from now on."""
    records: list[int] = []
    original = csv_blocks.BlockTape.record

    def counted(tape, block, index):
        records.append(block.first_line + index)
        return original(tape, block, index)

    monkeypatch.setattr(csv_blocks.BlockTape, "record", counted)
    return records


def test_few_records_are_left_to_the_tape(samples_dir, monkeypatch):
    """The parity above is not won by reading everything record by record: of a clean
    export only the header is, and of one with every field quoted, a record a block."""
    clean = (samples_dir / "synthea_csv" / "observations.csv").read_bytes()
    rows = list(csv.reader(io.StringIO(clean.decode(), newline="")))
    quoted = io.StringIO(newline="")
    csv.writer(quoted, quoting=csv.QUOTE_ALL).writerows(rows)
    quoted_bytes = quoted.getvalue().encode()
    assert_same_as_reference(quoted_bytes, "observations", monkeypatch, (65536, 4096))

    block_bytes = 4096
    monkeypatch.setattr(csv_blocks, "BLOCK_BYTES", block_bytes)
    records = _tape_records(monkeypatch)
    assert sum(1 for _ in parse_synthea_csv(io.BytesIO(clean), "observations")) == 990
    assert records == [1]  # the header
    records.clear()
    assert sum(1 for _ in parse_synthea_csv(io.BytesIO(quoted_bytes), "observations")) == 990
    assert 1 < len(records) <= 1 + len(quoted_bytes) // block_bytes + 1


def test_a_mapping_of_one_column(monkeypatch):
    """A header of one column must not take a blank line for a row (none of the tables has
    a single required column, so only a mapping of one column of its own shows it)."""
    data = b"\n  \nPATIENT\np1\n  \n\n\t\np2\n\"p3\"\n\" \"\n\n"

    def outcome(parse) -> list[tuple]:
        return [_comparable(r) for r in parse(io.BytesIO(data), ("patient",), ("patient",))]

    reference = outcome(synthea_csv_lines.parse_csv_line_by_line)
    for size in BLOCK_SIZES:
        monkeypatch.setattr(csv_blocks, "BLOCK_BYTES", size)
        assert outcome(synthea_csv._parse_csv) == reference
    assert [r[2] for r in reference] == [(4,), (8,), (9,), (10,)]


def test_the_parity_check_can_fail(monkeypatch):
    """A reading that split quoted lines on their commas too is caught."""
    monkeypatch.setattr(csv_blocks.Block, "reads_as_split_lines", lambda block, limit: True)
    with pytest.raises(AssertionError):
        assert_same_as_reference(EDGE_CASES["quoted fields with commas, quotes and newlines"][1],
                                 "conditions", monkeypatch)

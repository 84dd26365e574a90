"""The split reading of HL7 v2 messages gives exactly what the hl7 library gives.

``parse_hl7_file`` reads a message by splitting its text unless it cannot prove the split
reads it as ``hl7.parse`` does; ``reference=True`` reads every message with the library.
Both must yield the same rows and rejections in the same order (values and their column
order, positions, reasons, raw text, detail), and fail alike where the library fails.
"""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path
from unittest import mock

import hl7
import pytest

from healthcare_dataops.formats.encodings import as_utf8
from healthcare_dataops.formats.hl7v2 import parse_hl7_file
from healthcare_dataops.formats.hl7v2_split import split_message
from healthcare_dataops.formats.records import ParsedRow
from healthcare_dataops.generate.faults import KINDS
from healthcare_dataops.generate.runner import Options, generate
from healthcare_dataops_tests.formats.hl7v2_cases import EDGE_CASES, LIBRARY_READ, mutated_files


def _outcome(data: bytes, reference: bool) -> tuple[list[tuple], int]:
    """Every result as a comparable tuple (an exception the last), and the hl7.parse calls."""
    results: list[tuple] = []
    with mock.patch.object(hl7, "parse", wraps=hl7.parse) as library:
        stream, _ = as_utf8(io.BytesIO(data))  # as bronze reads a delivered file
        try:
            for result in parse_hl7_file(stream, reference=reference):
                results.append(_comparable(result))
        except Exception as err:  # the library's own failures must match too
            results.append(("raised", type(err).__name__, str(err)))
    return results, library.call_count


def _comparable(result) -> tuple:
    if isinstance(result, ParsedRow):
        return ("row", result.position, tuple(result.values.items()))
    detail = tuple(sorted(result.detail.items()))
    return ("rejected", result.position, result.reason, result.raw_text, detail)


def assert_same_as_library(data: bytes) -> tuple[list[tuple], int]:
    """The results (identical in both readings), and how many messages the fast run left
    to the library."""
    fast, library_calls = _outcome(data, reference=False)
    reference, _ = _outcome(data, reference=True)
    assert fast == reference
    return fast, library_calls


def test_real_samples(samples_dir):
    paths = sorted((samples_dir / "hl7v2").glob("*.hl7"))
    assert paths
    for path in paths:
        results, library_calls = assert_same_as_library(path.read_bytes())
        assert any(r[0] == "row" for r in results), path.name
        assert library_calls == 0, path.name  # real messages are all read by splitting


@pytest.fixture(scope="module")
def faulted_feed(tmp_path_factory) -> Path:
    """Lab files of 60 patients over 4 days, with every fault the generator can inject."""
    root = tmp_path_factory.mktemp("hl7_parity")
    start = dt.date(2026, 1, 1)
    generate(Options(landing=root / "landing", side=root / "side", patients=60, days=4,
                     start_date=start, epoch=start, faults=KINDS, sources=("labs",)))
    return root


def test_generated_feed_with_every_fault(faulted_feed):
    manifest = (faulted_feed / "side" / "manifest.json").read_text()
    assert all(f'"kind": "{kind}"' in manifest for kind in KINDS if kind.startswith("hl7_"))
    paths = sorted((faulted_feed / "landing" / "labs").glob("*/*.hl7"))
    rows = rejected = 0
    for path in paths:
        results, library_calls = assert_same_as_library(path.read_bytes())
        rows += sum(r[0] == "row" for r in results)
        rejected += sum(r[0] == "rejected" for r in results)
        assert library_calls == 0, path
    assert rows > 250 and rejected >= 5  # the faults were read, not skipped (about 300 rows)


@pytest.mark.parametrize("name", sorted(EDGE_CASES))
def test_edge_case(name):
    results, library_calls = assert_same_as_library(EDGE_CASES[name])
    assert results
    assert library_calls == LIBRARY_READ.get(name, 0)


def test_randomly_mutated_messages():
    files = mutated_files(seed=20260105, count=300)
    library_calls = rows = 0
    for data in files:
        results, calls = assert_same_as_library(data)
        library_calls += calls
        rows += sum(r[0] == "row" for r in results)
    assert rows > 300  # mutations leave most results readable
    assert library_calls < len(files) // 10  # and the split read nearly all of them


def test_the_parity_check_can_fail(monkeypatch):
    """A split that took the component separator for the repetition one is caught."""
    from healthcare_dataops.formats import hl7v2

    def swapped(whole: str):
        message = split_message(whole)
        seps = message.separators
        return message._replace(separators=seps[:2] + seps[3] + seps[2] + seps[4])

    monkeypatch.setattr(hl7v2, "split_message", swapped)
    with pytest.raises(AssertionError):
        assert_same_as_library(EDGE_CASES["default separators"])

"""The engine's line reader, as the engine calls it (``mapInArrow``), on the bytes of files."""

from pathlib import Path

import pyarrow as pa
import pytest

from healthcare_dataops.lakehouse import landing_lines

# CRLF, leading and trailing spaces and tabs, form feed and vertical tab, a blank line of
# whitespace, a Unicode space (kept, as bytes.strip keeps it), a line that is not UTF-8, and a
# last line without its newline.
DELIVERED = (b'\xef\xbb\xbf{"a": 1}\r\n  {"b": 2}\t\n\x0c\x0b \n\xc2\xa0{"c": 3}\n'
             b'{"d": "\xff"}  \r\n\n {"e": 5}')


def _lines(path: Path, block_bytes: int) -> list[dict]:
    files = landing_lines.files_table([(str(path), path.name, "0" * 64, "2026-01-01")])
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(landing_lines, "BLOCK_BYTES", block_bytes)
        batches = list(landing_lines.read_lines(iter(files.to_batches())))
    return pa.Table.from_batches(batches, schema=landing_lines.LINES_SCHEMA).to_pylist()


@pytest.mark.parametrize("block_bytes", [1, 7, 4 << 20])
def test_lines_are_numbered_and_stripped_as_bytes_strip_strips(tmp_path, block_bytes):
    path = tmp_path / "readings.jsonl"
    path.write_bytes(DELIVERED)
    expected = []
    for number, raw in enumerate(DELIVERED.removeprefix(b"\xef\xbb\xbf").split(b"\n"), start=1):
        try:
            expected.append((number, raw.strip().decode("utf-8"), None))
        except UnicodeDecodeError:
            expected.append((number, None, raw.strip()))
    got = [(line["source_record"], line["line_text"], line["line_bytes"]) for line in _lines(path, block_bytes)]
    assert got == expected
    assert got[3] == (4, '\xa0{"c": 3}', None)
    assert got[4] == (5, None, b'{"d": "\xff"}')

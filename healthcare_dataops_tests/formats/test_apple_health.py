from __future__ import annotations

import importlib
import io
import sys

from healthcare_dataops.formats.apple_health import parse_apple_health
from healthcare_dataops.formats.records import WEARABLE_READING_COLUMNS
from healthcare_dataops_tests.formats.streams import generated, peak_memory_while, split

HEAD = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n<HealthData locale="en_US">\n'
    b' <ExportDate value="2026-01-05 08:00:00 -0500"/>\n'
)
TAIL = b"</HealthData>\n"


def _record(n: int) -> bytes:
    return (
        f' <Record type="HKQuantityTypeIdentifierHeartRate" sourceName="Watch" unit="count/min" '
        f'creationDate="2026-01-05 08:0{n}:05 -0500" startDate="2026-01-05 08:0{n}:00 -0500" '
        f'endDate="2026-01-05 08:0{n}:00 -0500" value="{60 + n}"/>\n'
    ).encode()


def _parse(data: bytes, device_id: str | None = "watch-7"):
    return split(parse_apple_health(io.BytesIO(data), device_id=device_id))


def test_export_sample_with_doctype(samples_dir):
    path = samples_dir / "wearables" / "apple_health" / "export6s3sample.xml"
    with open(path, "rb") as stream:
        rows, rejected = split(parse_apple_health(stream, device_id="iphone-6s"))
    assert rejected == []
    assert len(rows) == 15  # Workout, ActivitySummary, Me and ExportDate are not readings
    assert [row.position for row in rows] == [(n,) for n in range(1, 16)]
    first = rows[0].values
    assert tuple(first) == WEARABLE_READING_COLUMNS
    assert first["device_id"] == "iphone-6s" and first["source_format"] == "apple_health"
    assert first["measure"] == "HKQuantityTypeIdentifierStepCount"
    assert (first["value"], first["unit"]) == ("329", "count")
    assert first["acquisition_source_name"] == "Health"
    assert first["creation_date_time"] == "2014-09-21 07:08:47 +0100"
    assert first["start_date_time"] == "2014-09-13 10:27:54 +0100"
    assert first["end_date_time"] == "2014-09-13 10:27:59 +0100"
    assert first["raw_record"].startswith('<Record type="HKQuantityTypeIdentifierStepCount"')
    assert first["data_point_id"] is None and first["schema_name"] is None
    last = rows[-1].values
    assert (last["measure"], last["value"], last["unit"]) == (
        "HKQuantityTypeIdentifierDistanceWalkingRunning", "0.0059", "km",
    )


def test_only_top_level_records_are_read():
    correlation = (
        b' <Correlation type="HKCorrelationTypeIdentifierBloodPressure" sourceName="Cuff" '
        b'startDate="x" endDate="x">\n  <Record type="HKQuantityTypeIdentifierBloodPressureSystolic" '
        b'sourceName="Cuff" startDate="x" endDate="x" value="120"/>\n </Correlation>\n'
    )
    with_metadata = (
        b' <Record type="HKQuantityTypeIdentifierBloodPressureSystolic" sourceName="Cuff" '
        b'startDate="x" endDate="x" value="120">\n'
        b'  <MetadataEntry key="HKWasUserEntered" value="1"/>\n </Record>\n'
    )
    rows, rejected = _parse(HEAD + _record(1) + correlation + with_metadata + TAIL)
    assert rejected == []
    assert [row.values["value"] for row in rows] == ["61", "120"]
    assert 'MetadataEntry key="HKWasUserEntered"' in rows[1].values["raw_record"]
    assert rows[1].values["unit"] is None


def test_xml_malformed_keeps_records_before_and_rejects_the_rest():
    broken = b' <Record type="HKQuantityTypeIdentifierHeartRate" value="70"></Recrod>\n'
    rest = broken + _record(4) + TAIL
    rows, rejected = _parse(HEAD + _record(1) + _record(2) + rest)
    assert [row.values["value"] for row in rows] == ["61", "62"]
    assert len(rejected) == 1
    assert rejected[0].reason == "XML is not well-formed: mismatched tag: line 6, column 63"
    assert rejected[0].raw_text == rest.decode()
    assert rejected[0].position == (3,)


def test_truncated_export_is_rejected_from_the_cut_record():
    rows, rejected = _parse(HEAD + _record(1) + _record(2)[:40])
    assert len(rows) == 1
    assert rejected[0].reason == "XML is not well-formed: unclosed token: line 5, column 1"
    assert rejected[0].raw_text == _record(2)[:40].decode()


def test_malformed_on_one_line_starts_at_the_broken_tag():
    rows, rejected = _parse(b'<HealthData><Record type="A"/><Record type="B&C"/></HealthData>')
    assert [row.values["measure"] for row in rows] == ["A"]
    assert rejected[0].raw_text == '<Record type="B&C"/></HealthData>'


def test_broken_tag_at_the_start_of_the_line_where_the_last_record_ended():
    rows, rejected = _parse(b'<HealthData>\n<Record type="A"/><Record type="B&C"/>\n</HealthData>\n')
    assert len(rows) == 1
    assert rejected[0].raw_text == '<Record type="B&C"/>\n</HealthData>\n'
    rows, rejected = _parse(b'<HealthData>\n<Record type="A"/>\n<Bad></HealthData>\n')
    assert rejected[0].raw_text == "<Bad></HealthData>\n"


def test_file_that_is_not_xml_is_rejected_whole():
    rows, rejected = _parse(b"this is not\nan export\n")
    assert rows == []
    assert [(r.raw_text, r.position) for r in rejected] == [("this is not\nan export\n", (1,))]
    assert rejected[0].reason == "XML is not well-formed: syntax error: line 1, column 0"


def test_bytes_that_are_not_utf8_travel_as_hex():
    data = HEAD + b' <Record type="A" value="\xff"/>\n' + TAIL
    rows, rejected = _parse(data)
    assert rows == [] and len(rejected) == 1
    assert bytes.fromhex(rejected[0].detail["raw_hex"]) == b' <Record type="A" value="\xff"/>\n' + TAIL


def test_entity_declarations_are_refused():
    bomb = (
        b'<?xml version="1.0"?>\n<!DOCTYPE HealthData [\n<!ENTITY lol "lol">\n'
        b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">\n]>\n'
        b'<HealthData><Record type="&lol2;"/></HealthData>\n'
    )
    rows, rejected = _parse(bomb)
    assert rows == []
    assert rejected[0].reason == "XML declares entity 'lol': entity declarations are refused for safety"
    assert rejected[0].raw_text == bomb.decode()


def test_external_entities_are_never_read(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("top secret")
    xxe = (
        f'<?xml version="1.0"?>\n<!DOCTYPE HealthData [<!ENTITY x SYSTEM "file://{secret}">]>\n'
        f'<HealthData><Record type="&x;"/></HealthData>\n'
    ).encode()
    rows, rejected = _parse(xxe)
    assert rows == [] and len(rejected) == 1
    assert "top secret" not in rejected[0].raw_text


def test_without_defusedxml_entity_declarations_are_still_refused(monkeypatch, samples_dir):
    import healthcare_dataops.formats.apple_health as module

    monkeypatch.setitem(sys.modules, "defusedxml", None)  # makes its import fail
    monkeypatch.setitem(sys.modules, "defusedxml.ElementTree", None)
    try:
        fallback = importlib.reload(module)
        bomb = (
            b'<!DOCTYPE HealthData [<!ENTITY lol "lol">]>\n'
            b'<HealthData><Record type="&lol;"/></HealthData>'
        )
        rows, rejected = split(fallback.parse_apple_health(io.BytesIO(bomb)))
        assert rows == []
        assert rejected[0].reason == "XML declares entity: entity declarations are refused for safety"
        with open(samples_dir / "wearables" / "apple_health" / "export6s3sample.xml", "rb") as stream:
            assert len(split(fallback.parse_apple_health(stream))[0]) == 15
    finally:
        monkeypatch.undo()
        importlib.reload(module)


def test_empty_file_yields_nothing():
    assert _parse(b"") == ([], [])


def test_apple_health_streams_without_growing_memory():
    def chunks():
        yield HEAD
        for n in range(20_000):
            yield _record(n % 10)
        yield TAIL

    count, peak = peak_memory_while(lambda: sum(1 for _ in parse_apple_health(generated(chunks()))))
    assert count == 20_000
    assert peak < 1_000_000 < 20_000 * len(_record(1))

from __future__ import annotations

import io
import json

import pytest

from healthcare_dataops.formats.openmhealth import parse_openmhealth
from healthcare_dataops.formats.records import WEARABLE_READING_COLUMNS, Rejected
from healthcare_dataops_tests.formats.streams import generated, peak_memory_while, split

HEART_RATE = (
    '{"header": {"id": "dp-1", "creation_date_time": "2026-01-05T08:00:05Z", '
    '"schema_id": {"namespace": "omh", "name": "heart-rate", "version": "2.0"}, '
    '"acquisition_provenance": {"source_name": "FitWatch 3", "modality": "sensed"}, '
    '"user_id": "dev-0042"}, '
    '"body": {"heart_rate": {"value": 72.0, "unit": "beats/min"}, '
    '"effective_time_frame": {"date_time": "2026-01-05T08:00:00Z"}}}'
)
STEPS = (
    '{"step_count": {"value": 1200, "unit": "steps"}, "effective_time_frame": {"time_interval": '
    '{"start_date_time": "2026-01-05T08:00:00Z", "end_date_time": "2026-01-05T09:00:00Z"}}}'
)


def _jsonl(*lines: str) -> bytes:
    return "".join(line + "\n" for line in lines).encode()


def _parse(data: bytes, file_name: str = "fitwatch_20260105.jsonl"):
    return split(parse_openmhealth(io.BytesIO(data), file_name=file_name))


@pytest.mark.parametrize("name, measure, value, unit", [
    ("body-temperature-valid-temperature.json", "body_temperature", "97", "F"),
    ("heart-rate-with-descriptive-statistic.json", "heart_rate", "50.0", "beats/min"),
    ("oxygen-saturation-with-oxygen.json", "oxygen_saturation", "95", "%"),
    ("sleep-episode-valid-sleep-episode.json", "sleep_episode", "8.5", "h"),
    ("step-count-valid-step-count.json", "step_count", "10600", "steps"),
])
def test_schema_samples_yield_one_reading_each(samples_dir, name, measure, value, unit):
    path = samples_dir / "wearables" / "openmhealth" / name
    with open(path, "rb") as stream:
        rows, rejected = split(parse_openmhealth(stream, file_name=name))
    assert rejected == [] and len(rows) == 1
    row = rows[0]
    assert tuple(row.values) == WEARABLE_READING_COLUMNS
    assert (row.values["measure"], row.values["value"], row.values["unit"]) == (measure, value, unit)
    assert row.position == (1,)
    assert row.values["device_id"] is None  # body-only documents: kept, silver decides
    assert row.values["source_format"] == "openmhealth"
    assert json.loads(row.values["raw_record"]) == json.loads(path.read_text())


def test_schema_sample_time_frames(samples_dir):
    folder = samples_dir / "wearables" / "openmhealth"

    def values(name: str) -> dict:
        with open(folder / name, "rb") as stream:
            return next(parse_openmhealth(stream, file_name=name)).values

    heart = values("heart-rate-with-descriptive-statistic.json")
    assert heart["descriptive_statistic"] == "minimum"
    assert heart["start_date_time"] == "2020-02-05T06:00:00+01:00"
    assert heart["end_date_time"] == "2020-02-06T06:00:00+01:00"
    temperature = values("body-temperature-valid-temperature.json")
    assert temperature["effective_date_time"] == "2023-02-05T07:25:00+01:00"
    sleep = values("sleep-episode-valid-sleep-episode.json")
    assert (sleep["duration_value"], sleep["duration_unit"]) == ("9", "h")


def test_jsonl_with_header_fills_every_column():
    rows, rejected = _parse(b"\xef\xbb\xbf" + _jsonl(HEART_RATE, "", STEPS).replace(b"\n", b"\r\n"))
    assert rejected == []
    assert [row.position for row in rows] == [(1,), (3,)]  # line 2 is blank: no record
    assert rows[0].values == {
        "device_id": "dev-0042", "source_format": "openmhealth", "data_point_id": "dp-1",
        "schema_namespace": "omh", "schema_name": "heart-rate", "schema_version": "2.0",
        "creation_date_time": "2026-01-05T08:00:05Z", "acquisition_source_name": "FitWatch 3",
        "acquisition_modality": "sensed", "measure": "heart_rate", "value": "72.0",
        "unit": "beats/min", "descriptive_statistic": None,
        "effective_date_time": "2026-01-05T08:00:00Z", "start_date_time": None,
        "end_date_time": None, "duration_value": None, "duration_unit": None,
        "raw_record": HEART_RATE,
    }
    assert rows[1].values["device_id"] is None and rows[1].values["value"] == "1200"


def test_other_measures_and_sleep_without_total_time():
    glucose = '{"blood_glucose": {"value": 5.50, "unit": "mmol/L"}}'
    sleep = (
        '{"header": {"schema_id": {"namespace": "omh", "name": "sleep-episode", "version": "1.1"}}, '
        '"body": {"effective_time_frame": {"time_interval": '
        '{"start_date_time": "2026-01-04T23:00:00Z", '
        '"duration": {"value": 7.5, "unit": "h"}}}, "is_main_sleep": true}}'
    )
    rows, rejected = _parse(_jsonl(glucose, sleep))
    assert rejected == []
    assert [(r.values["measure"], r.values["value"], r.values["unit"]) for r in rows] == [
        ("blood_glucose", "5.50", "mmol/L"), ("sleep_episode", "7.5", "h"),
    ]


def test_jsonl_broken_json_rejects_that_line_only():
    broken = '{"step_count": {"value": 10 "unit": "steps"}}'
    rows, rejected = _parse(_jsonl(HEART_RATE, broken, STEPS))
    assert len(rows) == 2
    assert [(r.reason, r.position, r.raw_text) for r in rejected] == [
        ("line is not valid JSON: Expecting ',' delimiter at column 29", (2,), broken)
    ]


@pytest.mark.parametrize("line, reason", [
    ('{"foo": "bar"}', "line is not an Open mHealth data point: no header and body, and no measure"),
    ("[1, 2]", "line is a JSON array, not a data point object"),
    ("42", "line is a JSON number, not a data point object"),
    ('"heart_rate"', "line is a JSON string, not a data point object"),
])
def test_jsonl_not_a_data_point_rejects_that_line_only(line, reason):
    rows, rejected = _parse(_jsonl(HEART_RATE, line, STEPS))
    assert len(rows) == 2
    assert [(r.reason, r.position, r.raw_text) for r in rejected] == [(reason, (2,), line)]


def test_header_and_body_without_a_known_measure_is_kept():
    point = '{"header": {"user_id": "dev-1"}, "body": {"activity_name": "walking"}}'
    rows, rejected = _parse(_jsonl(point))
    assert rejected == [] and rows[0].values["measure"] is None
    assert rows[0].values["device_id"] == "dev-1"


def test_line_that_is_not_utf8_is_rejected_with_its_bytes():
    rows, rejected = _parse(_jsonl(HEART_RATE) + b'{"x": "\xff"}\n')
    assert len(rows) == 1
    assert rejected[0].reason == "line is not valid UTF-8 at byte 7"
    assert rejected[0].detail["raw_hex"] == b'{"x": "\xff"}'.hex()


def test_json_array_positions_by_element():
    array = f"[\n  {HEART_RATE},\n  7,\n  {STEPS}\n]".encode()
    rows, rejected = _parse(array, "export.json")
    assert [row.position for row in rows] == [(1,), (3,)]
    assert rows[1].values["raw_record"] == STEPS  # the element's own text
    assert [(r.reason, r.position) for r in rejected] == [
        ("array element is a JSON number, not a data point object", (2,))
    ]


def test_json_document_that_is_not_json_is_one_rejected():
    rows, rejected = _parse(b'{"heart_rate": {"value": 60,}', "reading.json")
    assert rows == []
    assert [(r.reason, r.position) for r in rejected] == [
        ("document is not valid JSON: Expecting property name enclosed in double quotes "
         "at line 1 column 29", (1,))
    ]


def test_empty_files_yield_nothing():
    assert _parse(b"") == ([], [])
    assert _parse(b"", "export.json") == ([], [])
    assert _parse(b"\n\n") == ([], [])


def test_unknown_suffix_is_a_caller_error():
    with pytest.raises(ValueError, match="not an Open mHealth file"):
        parse_openmhealth(io.BytesIO(b""), file_name="readings.csv")


def test_jsonl_streams_without_growing_memory():
    # Long lines make a 35 MB file quickly; tracemalloc slows the parser several times over.
    line = (HEART_RATE[:-2] + ', "note": "' + "x" * 1000 + '"}}\n').encode()

    def consume() -> int:
        stream = generated(line for _ in range(25_000))
        return sum(1 for _ in parse_openmhealth(stream, file_name="big.jsonl"))

    count, peak = peak_memory_while(consume)
    assert count == 25_000
    assert peak < 1_000_000 < 25_000 * len(line)


def test_a_fhir_observation_is_no_wearable_reading_and_the_reason_names_fhir(samples_dir):
    from healthcare_dataops.formats.openmhealth import parse_line

    text = (samples_dir / "fhir_examples" / "us-core" / "heart-rate.json").read_bytes()
    line = json.dumps(json.loads(text)).encode()
    rejected = parse_line(line, 4)
    assert isinstance(rejected, Rejected)
    assert rejected.reason == ("line is a FHIR Observation, not an Open mHealth data point: "
                               "FHIR is delivered to the fhir feed")
    [document] = list(parse_openmhealth(io.BytesIO(text), file_name="heart-rate.json"))
    assert document.reason.startswith("document is a FHIR Observation")

"""The engine's Open mHealth reader against the Python reference, line by line.

For every line, the engine either reads exactly what ``formats.openmhealth.parse_line`` reads
(every column, text for text) or hands the line over (``ENGINE_READ`` false). The usual shape
must be read on the engine; odd lines may be handed over, never read differently. Lines from
the real schema samples, hand-written edge cases and a seeded fuzzer that mutates data points
(key order, whitespace, number spellings, duplicate keys, types, missing parts) all go through
both.
"""

from __future__ import annotations

import json
import random

import pytest

from healthcare_dataops.formats.openmhealth import parse_line
from healthcare_dataops.formats.records import WEARABLE_READING_COLUMNS, ParsedRow
from healthcare_dataops.transforms.openmhealth_lines import ENGINE_READ, TEXT, read_data_points

HEADER = {
    "id": "a9d2c760-b0be-4ba6-9d12-1cce6c60ee50",
    "creation_date_time": "2026-01-02T04:03:00-05:00",
    "schema_id": {"namespace": "omh", "name": "heart-rate", "version": "2.0"},
    "acquisition_provenance": {"source_name": "PulseWear Band 3 firmware 2.4.1", "modality": "sensed"},
    "user_id": "WD-EC3209FF",
}
HEART_RATE = {"header": HEADER, "body": {"heart_rate": {"value": 70, "unit": "beats/min"},
                                        "effective_time_frame": {"date_time": "2026-01-02T00:00:00-05:00"}}}
STEPS = {"header": {**HEADER, "schema_id": {"namespace": "omh", "name": "step-count", "version": "3.0"}},
         "body": {"step_count": {"value": 112, "unit": "steps"}, "effective_time_frame": {"time_interval": {
             "start_date_time": "2026-01-02T09:00:00-05:00", "end_date_time": "2026-01-02T09:01:00-05:00"}}}}
SLEEP = {"header": {**HEADER, "schema_id": {"namespace": "omh", "name": "sleep-episode", "version": "1.1"}},
         "body": {"effective_time_frame": {"time_interval": {"start_date_time": "2026-01-01T23:36:00-05:00",
                                                               "end_date_time": "2026-01-02T05:59:00-05:00"}},
                  "total_sleep_time": {"value": 5.73, "unit": "h"}, "is_main_sleep": True}}
COMPACT = {"separators": (",", ":")}

# The usual shapes: every one must be read on the engine.
USUAL = [json.dumps(point, **COMPACT) for point in (HEART_RATE, STEPS, SLEEP)] + [
    json.dumps(HEART_RATE),  # spaces after separators
    json.dumps({"body": HEART_RATE["body"], "header": HEADER}),  # body first
    json.dumps(HEART_RATE, **COMPACT).replace('"value":70', '"value":72.10'),  # as written
    json.dumps(HEART_RATE, **COMPACT).replace('"value":70', '"value":1E2'),
    json.dumps(HEART_RATE, **COMPACT).replace('"user_id":"WD-EC3209FF"', '"user_id":"12345"'),
    json.dumps(HEART_RATE, **COMPACT).replace('"user_id":"WD-EC3209FF"', '"user_id":"caf\\u00e9 \\"x\\""'),
    json.dumps({**HEART_RATE, "body": {**HEART_RATE["body"], "descriptive_statistic": "minimum"}}),
]

# Odd lines: the engine may hand them over, but where it reads one it must read it exactly.
EDGE = [
    '{"header":{"user_id":"d","user_id":"e"},"body":{"heart_rate":{"value":1,"unit":"x"}}}',
    '{"header":{"user_id":"d"},"body":{"heart_rate":{"value":1,"value":2.50,"unit":"x"}}}',
    '{"header":{"user_id":"d"},"body":{"heart_rate":{"value":1,"unit":"x"}},"body":{"step_count":{"value":3,"unit":"s"}}}',
    '{"header":{"user_id":"d"},"body":{"heart_rate":72}}',
    '{"header":{"user_id":"d"},"body":{"heart_rate":72,"step_count":{"value":3,"unit":"s"}}}',
    '{"header":{"user_id":"d"},"body":{"heart_rate":{"value":null,"unit":"x"},"step_count":{"value":3,"unit":"s"}}}',
    '{"header":{"user_id":"d"},"body":{"heart_rate":"72","step_count":{"value":3,"unit":"s"}}}',
    '{"header":{"user_id":"d"},"body":{"heart_rate":{"value":null,"unit":"x"}}}',
    '{"header":{"user_id":"d"},"body":{"heart_rate":{"unit":"x"},"step_count":{"value":3,"unit":"s"}}}',
    '{"header":{"user_id":"d"},"body":{"heart_rate":{"value":{"a":  1},"unit":"x"}}}',
    '{"header":{"user_id":"d"},"body":{"heart_rate":{"value":[1, 2.50],"unit":true}}}',
    '{"header":{"user_id":{"a":1}},"body":{"heart_rate":{"value":1,"unit":"x"}}}',
    '{"header":{"user_id":1.50},"body":{"heart_rate":{"value":1,"unit":"x"}}}',
    '{"header":{"user_id":12345678901234567890},"body":{"heart_rate":{"value":1,"unit":"x"}}}',
    '{"header":{"user_id":-0},"body":{"heart_rate":{"value":-0.0,"unit":"x"}}}',
    '{"header":{"user_id":true,"id":false},"body":{"heart_rate":{"value":1,"unit":"x"}}}',
    '{"header":null,"body":{"heart_rate":{"value":1,"unit":"x"}}}',
    '{"header":"text","body":{"heart_rate":{"value":1,"unit":"x"}}}',
    '{"header":{"user_id":"d"},"body":"text"}',
    '{"header":{"user_id":"d"},"body":{}}',
    '{"header":{"user_id":"d"},"body":{"blood_glucose":{"value":5.50,"unit":"mmol/L"}}}',
    '{"header":{"user_id":"d","schema_id":{"name":"blood-glucose"}},"body":{"blood_glucose":{"value":5.5,"unit":"x"},"heart_rate":{"value":1,"unit":"y"}}}',
    '{"header":{"user_id":"d","schema_id":{"name":"step-count"}},"body":{"heart_rate":{"value":1,"unit":"y"},"step_count":{"value":2,"unit":"s"}}}',
    '{"header":{"user_id":"d","schema_id":{"name":"sleep-episode"}},"body":{"effective_time_frame":{"time_interval":{"duration":{"value":7.50,"unit":"h"}}}}}',
    '{"header":{"user_id":"d"},"body":{"is_main_sleep":null,"effective_time_frame":{"date_time":"x"}}}',
    '{"header":{"user_id":"d"},"body":{"is_main_sleep":false,"total_sleep_time":7}}',
    '{"header":{"user_id":"d"},"body":{"number_of_awakenings":3,"total_sleep_time":{"value":7.0}}}',
    '{"header":{"user_id":"d"},"body":{"total_sleep_time":{"value":6,"unit":"h"},"effective_time_frame":{"time_interval":{"duration":{"value":8.0,"unit":"h"}}}}}',
    '{"header":{"user_id":"d"},"body":{"heart_rate":{"value":1,"unit":"x"},"effective_time_frame":"now"}}',
    '{"header":{"user_id":"d"},"body":{"heart_rate":{"value":1,"unit":"x"},"effective_time_frame":{"time_interval":[1]}}}',
    '{"header":{"user_id":"d"},"body":{"heart_rate":{"value":NaN,"unit":"x"}}}',
    '{"header":{"user_id":"\\ud800"},"body":{"heart_rate":{"value":1,"unit":"x"}}}',
    '{"header":{"user_id":"\\ud83d\\ude00"},"body":{"heart_rate":{"value":1,"unit":"x"}}}',
    '{"header":{"user_id":"d"},"body":{"heart_rate":{"value":1,"unit":"x"}}} x',
    '{"header":{"user_id":"d"},"body":{"heart_rate":{"value":1,"unit":"x"}}',
    '{"header":{"user_id":"d"},"body":{"heart_rate":{"value":1,"unit":"x"}},}',
    '{"header":{"user_id":"a\tb"},"body":{"heart_rate":{"value":1,"unit":"x"}}}',
    '[{"header":{"user_id":"d"},"body":{"heart_rate":{"value":1,"unit":"x"}}}]',
    '{"heart_rate":{"value":60,"unit":"beats/min"},"effective_time_frame":{"date_time":"2026-01-01T00:00:00Z"}}',
    '{"header":{"schema_id":{"name":"heart_rate"},"user_id":"d"},"body":{"heart_rate":{"value":1,"unit":"x"}}}',
    '{"header":{"schema_id":{"name":"heart-rate","version":2.0},"user_id":"d"},"body":{"heart_rate":{"value":1,"unit":"x"}}}',
    '{"header":{"schema_id":{"name":"heart-rate","version":"2.0","version":"2.00"},"user_id":"d"},"body":{"heart_rate":{"value":1,"unit":"x"}}}',
    '{"header":{"user_id":"d","note":"the \\"heart_rate\\" key"},"body":{"step_count":{"value":3,"unit":"s"}}}',
    '{"header":{"user_id":"d"},"body":{"heart_rate":{"value":"seventy","unit":"x"}}}',
    '{"header":{"user_id":"d"},"body":{"heart_rate":{"value":1,"unit":5.0}}}',
    '"just text"',
    "42",
    "{}",
]


def _engine_and_reference(spark, texts: list[str]):
    frame = spark.createDataFrame([(n, t) for n, t in enumerate(texts, 1)], f"source_record long, {TEXT} string")
    rows = read_data_points(frame).collect()
    assert len(rows) == len(texts)
    for row in rows:
        yield row, parse_line(row[TEXT].encode("utf-8", "surrogatepass"), row["source_record"])


def _disagreements(spark, texts: list[str]) -> list[tuple[str, dict]]:
    found = []
    for row, reference in _engine_and_reference(spark, texts):
        if not row[ENGINE_READ]:
            continue
        engine = {c: row[c] for c in WEARABLE_READING_COLUMNS}
        if not isinstance(reference, ParsedRow):
            found.append((row[TEXT], {"reference": reference.reason}))
        elif engine != reference.values:
            found.append((row[TEXT],
                          {c: (engine[c], reference.values[c]) for c in engine if engine[c] != reference.values[c]}))
    return found


def test_the_usual_shapes_are_read_on_the_engine_exactly(spark):
    rows = list(_engine_and_reference(spark, USUAL))
    assert [row[TEXT] for row, _ in rows if not row[ENGINE_READ]] == []
    assert _disagreements(spark, USUAL) == []
    by_line = {row[TEXT]: row for row, _ in rows}
    assert by_line[USUAL[5]]["value"] == "72.10" and by_line[USUAL[6]]["value"] == "1E2"


def test_odd_lines_are_read_exactly_or_handed_over(spark):
    assert _disagreements(spark, EDGE) == []
    handed_over = {row[TEXT] for row, _ in _engine_and_reference(spark, EDGE) if not row[ENGINE_READ]}
    # What only the reference can do is never attempted on the engine.
    for text in (EDGE[3], EDGE[4], EDGE[5], EDGE[7], EDGE[9], EDGE[20], EDGE[30], EDGE[33], EDGE[37], EDGE[38]):
        assert text in handed_over, text


def test_real_schema_samples_as_lines(spark, samples_dir):
    folder = samples_dir / "wearables" / "openmhealth"
    # A document written over many lines, as one JSON Lines record: newlines never sit inside
    # JSON strings, so the text is the same data point.
    texts = [path.read_text().replace("\n", " ").strip() for path in sorted(folder.glob("*.json"))]
    wrapped = [json.dumps({"header": HEADER, "body": json.loads(t)}) for t in texts]
    assert len(texts) == 5
    assert _disagreements(spark, texts + wrapped) == []


def _mutations(point: dict, rng: random.Random) -> str:
    """A data point, spelled or broken in one of the ways feeds do."""
    text = json.dumps(point, **(COMPACT if rng.random() < 0.5 else {}))
    kind = rng.randrange(10)
    if kind == 0:  # keys in another order
        shuffled = {k: point[k] for k in rng.sample(list(point), len(point))}
        return json.dumps(shuffled)
    if kind == 1:  # a number spelled otherwise
        return text.replace("70", rng.choice(["70.0", "7.0e1", "70.00", "-70", "0.70E+2", '"70"']), 1)
    if kind == 2:  # a key twice
        key = rng.choice(['"user_id"', '"value"', '"unit"', '"name"', '"heart_rate"', '"body"', '"date_time"'])
        at = text.find(key)
        if at < 0:
            return text
        end = text.find(",", at)
        return text[:end] + "," + text[at:end] + text[end:] if end > 0 else text
    if kind == 3:  # a part missing
        part = rng.choice(['"unit"', '"value"', '"header"', '"schema_id"', '"effective_time_frame"'])
        data = json.loads(text)
        _drop(data, part.strip('"'))
        return json.dumps(data)
    if kind == 4:  # a value of another type
        return text.replace('"WD-EC3209FF"', rng.choice(["null", "true", "17", "[1]", '{"x":1}', '"{x"', '"[y"']), 1)
    if kind == 5:  # broken JSON
        cut = rng.randrange(1, len(text))
        return text[:cut] + rng.choice(["", ",", "}", "x", " ]"]) + text[cut:]
    if kind == 6:  # extra members
        return text[:-1] + rng.choice(
            [', "note": "heart_rate"', ', "x": {"value": 1, "unit": "u"}', ', "is_main_sleep": null']) + "}"
    if kind == 7:  # another schema name
        return text.replace('"heart-rate"', rng.choice(['"step-count"', '"sleep-episode"', '"blood-glucose"',
                                                        '"heart_rate"', '""', "null"]), 1)
    if kind == 8:  # escapes and unicode
        return text.replace("PulseWear", rng.choice(["Pulse\\u0057ear", "Pulse\\\\Wear", 'Pulse\\"Wear', "Pulséwear",
                                                     "Pulse\\ud83d\\ude00"]), 1)
    return text


def _drop(data, key: str) -> None:
    if isinstance(data, dict):
        data.pop(key, None)
        for value in data.values():
            _drop(value, key)


def test_a_thousand_mutated_data_points(spark):
    rng = random.Random(20261201)
    texts = [_mutations(rng.choice([HEART_RATE, STEPS, SLEEP]), rng) for _ in range(1000)]
    texts = [t for t in texts if t.strip()]
    assert _disagreements(spark, texts) == []
    read = sum(1 for row, _ in _engine_and_reference(spark, texts) if row[ENGINE_READ])
    # Most mutations keep a readable data point; the engine must not hand them all over.
    assert read > len(texts) / 2, read


@pytest.mark.parametrize("text", ["", "   "])
def test_blank_lines_are_no_records(text):
    assert parse_line(text.encode(), 1) is None


def test_fhir_resources_are_handed_to_the_reference_which_rejects_them(spark, samples_dir):
    heart_rate = json.loads((samples_dir / "fhir_examples" / "us-core" / "heart-rate.json").read_text())
    # Even one that carries an Open mHealth shape beside its resourceType.
    disguised = {**HEART_RATE, "resourceType": "Observation"}
    texts = [json.dumps(heart_rate, **COMPACT), json.dumps(disguised, **COMPACT)]
    for row, reference in _engine_and_reference(spark, texts):
        assert not row[ENGINE_READ]
        assert reference.reason.endswith("not an Open mHealth data point: FHIR is delivered to the fhir feed")

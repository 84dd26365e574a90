"""The MLLP listener, as a process, in front of a real broker: the hl7 library's MLLP client
sends, the acknowledgement codes are read back, and the topic is read to see what was stored."""

import datetime as dt
import time

from hl7.client import MLLPClient

from healthcare_dataops.benchmark.mllp_traffic import oru_message, read_acknowledgement
from healthcare_dataops.streaming.topics import LABS_TOPIC
from healthcare_dataops_tests.streaming.broker_fixtures import TEST_DELIVERY_TIMEOUT_SECONDS, all_records

NOW = dt.datetime(2026, 12, 1, 14, 30, tzinfo=dt.UTC)


def _send(port: int, message: str | bytes):
    with MLLPClient("127.0.0.1", port) as client:
        return read_acknowledgement(client.send_message(message))


def test_each_message_is_acknowledged_aa_once_on_the_topic_keyed_by_mrn(broker, listener):
    messages = {f"ACC{n}": oru_message(f"ACC{n}", f"MRN-{n % 3}", observed=NOW) for n in range(12)}
    with MLLPClient("127.0.0.1", listener.port) as client:  # one connection, as an interface engine keeps
        acks = [read_acknowledgement(client.send_message(text)) for text in messages.values()]
    assert [(a.code, a.control_id) for a in acks] == [("AA", control) for control in messages]

    stored = {r.value.decode(): r for r in all_records(broker.bootstrap_servers, LABS_TOPIC)}
    for control, text in messages.items():
        assert text.strip("\r") in {value.strip("\r") for value in stored}, control
    mine = [r for value, r in stored.items() if "|ACC" in value]
    assert len(mine) == len(messages)  # each once
    partitions_by_key = {}
    for record in mine:
        partitions_by_key.setdefault(record.key, set()).add(record.partition)
    assert set(partitions_by_key) == {b"MRN-0", b"MRN-1", b"MRN-2"}
    assert all(len(p) == 1 for p in partitions_by_key.values())  # a patient's messages stay in order


def test_a_message_it_cannot_take_is_rejected_with_the_reason_and_not_stored(broker, listener):
    before = len(all_records(broker.bootstrap_servers, LABS_TOPIC))
    not_hl7 = _send(listener.port, "this is not an HL7 message")
    no_control_id = _send(listener.port, oru_message("", "MRN-9", observed=NOW))
    not_utf8 = _send(listener.port, oru_message("BIN1", "MRN-9", observed=NOW).encode() + b"\xff\xfe")
    assert (not_hl7.code, not_hl7.text) == ("AR", "no MSH segment: the message starts with thi")
    assert no_control_id.code == "AR" and no_control_id.text.startswith("no MSH-10 message control id")
    assert not_utf8.code == "AR" and "not valid UTF-8" in not_utf8.text
    assert len(all_records(broker.bootstrap_servers, LABS_TOPIC)) == before


def test_broker_down_is_answered_ae_and_the_senders_retry_goes_through_once_it_is_back(broker, listener):
    accepted_before = _send(listener.port, oru_message("UP1", "MRN-5", observed=NOW))
    assert accepted_before.code == "AA"
    broker.pause()
    try:
        started = time.monotonic()
        refused = _send(listener.port, oru_message("DOWN1", "MRN-5", observed=NOW))
        waited = time.monotonic() - started
    finally:
        broker.resume()
    assert (refused.code, refused.control_id) == ("AE", "DOWN1")
    assert refused.text.startswith("not stored, send again")
    assert waited < TEST_DELIVERY_TIMEOUT_SECONDS + 3
    # The sender keeps the message and sends it again: accepted now.
    deadline = time.monotonic() + 30
    while (retried := _send(listener.port, oru_message("DOWN1", "MRN-5", observed=NOW))).code != "AA":
        assert time.monotonic() < deadline, retried
    controls = [r.value.decode().split("|")[9] for r in all_records(broker.bootstrap_servers, LABS_TOPIC)]
    assert controls.count("UP1") == 1  # what was acknowledged before the outage is there
    # At least once: the record in flight when the broker stopped may have been stored after
    # all, so the retry can add a second copy of DOWN1, which silver keeps once.
    assert 1 <= controls.count("DOWN1") <= 2


def _acknowledgements(listener) -> dict[str, float]:
    from prometheus_client.parser import text_string_to_metric_families

    from healthcare_dataops_tests.servers import http_get

    text = http_get(f"http://127.0.0.1:{listener.metrics_port}/metrics").decode()
    [family] = [f for f in text_string_to_metric_families(text) if f.name == "healthcare_dataops_mllp_acknowledgements"]
    return {s.labels["code"]: s.value for s in family.samples if s.name.endswith("_total")}


def test_the_listener_counts_its_acknowledgements_for_prometheus(listener):
    before = _acknowledgements(listener)
    assert set(before) == {"AA", "AE", "AR"}
    assert _send(listener.port, oru_message("COUNT1", "MRN-7", observed=NOW)).code == "AA"
    assert _send(listener.port, "not HL7 either").code == "AR"
    after = _acknowledgements(listener)
    assert {code: after[code] - before[code] for code in after} == {"AA": 1, "AE": 0, "AR": 1}

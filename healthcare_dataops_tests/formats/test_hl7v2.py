from __future__ import annotations

import io

import pytest

from healthcare_dataops.formats.hl7v2 import parse_hl7_file
from healthcare_dataops.formats.records import LAB_RESULT_COLUMNS
from healthcare_dataops_tests.formats.streams import generated, peak_memory_while, split, trickle


def _message(control_id: str, mrn: str, values: list[str]) -> list[str]:
    return [
        rf"MSH|^~\&|LABSYS|ACME LAB|EHR|HOSP|20260105083000-0500||ORU^R01^ORU_R01|{control_id}|P|2.5.1",
        f"PID|1||{mrn}^^^HOSP^MR||Doe^Jane||19800101|F",
        "OBR|1|PL-1|FL-1|24323-8^Comprehensive metabolic panel^LN|||20260105070000-0500",
        *(
            f"OBX|{n}|NM|2345-7^Glucose^LN||{value}|mg/dL^milligram per deciliter^UCUM|70-99|N|||F"
            for n, value in enumerate(values, 1)
        ),
    ]


A = _message("A1", "M1", ["95", "96"])
B = _message("B2", "M2", ["97", "98"])
C = _message("C3", "M3", ["99"])


def _file(*messages: list[str], end: str = "\r") -> bytes:
    return "".join(segment + end for message in messages for segment in message).encode()


def _parse(data: bytes):
    return split(parse_hl7_file(io.BytesIO(data)))


def _sample(samples_dir, name: str):
    with open(samples_dir / "hl7v2" / name, "rb") as stream:
        return split(parse_hl7_file(stream))


def test_nist_lri_cbc_message(samples_dir):
    rows, rejected = _sample(samples_dir, "LRI_2.0-NG_CBC_Typ_Message.hl7")  # starts with a BOM
    assert rejected == []
    assert len(rows) == 28
    assert all(tuple(row.values) == LAB_RESULT_COLUMNS for row in rows)
    assert {row.values["patient_mrn"] for row in rows} == {"PATID1234"}
    first = rows[0]
    assert first.position == (1, 5)  # MSH, PID, ORC, OBR, then this OBX
    assert first.values["message_type"] == "ORU^R01^ORU_R01"
    assert first.values["message_control_id"] == "NIST-LRI-NG-002.00"
    assert first.values["hl7_version"] == "2.5.1"
    assert first.values["sending_application"] == "NIST Test Lab APP"
    assert first.values["patient_identifiers"] == "PATID1234^^^NIST MPI^MR"
    assert first.values["patient_name"] == "Jones^William^A"
    assert first.values["patient_sex"] == "M"
    assert first.values["placer_order_number"] == "ORD666555^NIST EHR"
    assert first.values["order_observation_datetime"] == "20110103143428-0800"
    assert first.values["observation_code"] == "26453-1"
    assert first.values["observation_text"] == "Erythrocytes [#/volume] in Blood"
    assert first.values["coding_system"] == "LN"
    assert first.values["observation_value"] == "4.41"
    assert first.values["units"] == "10*6/uL^million per microliter^UCUM"
    assert first.values["units_code"] == "10*6/uL"
    assert first.values["reference_range"] == "4.3 to 6.2"
    assert first.values["abnormal_flags"] == "N"
    assert first.values["result_status"] == "F"
    assert first.values["raw_segment"].startswith("OBX|1|NM|26453-1^")
    assert rows[3].values["abnormal_flags"] == "HH"
    assert rows[19].values["value_type"] == "CWE"
    assert rows[19].values["observation_value"].startswith("260348001^Present ++ out of ++++^SCT")


def test_oru_with_an_ed_obx_lacking_obx3(samples_dir):
    rows, rejected = _sample(samples_dir, "ORU-R01-01.hl7")
    assert len(rows) == 4
    assert [(r.reason, r.position) for r in rejected] == [
        ("OBX segment has no OBX-3 observation identifier", (1, 11))
    ]
    assert rejected[0].raw_text == "OBX||ED|||App5^NS^Octet-stream^Base64|"
    assert {row.values["patient_mrn"] for row in rows} == {"14"}  # PID-3 typed PI, not MR
    assert rows[1].values["placer_order_number"] == "845439^GHH OE"  # the OBR before it


def test_oul_r22(samples_dir):
    rows, rejected = _sample(samples_dir, "OUL-R22-01.hl7")
    assert len(rows) == 6 and len(rejected) == 1
    assert {row.values["message_type"] for row in rows} == {"OUL^R22^OUL_R22"}
    assert rows[0].values["observation_value"] == "60~120"
    assert rows[0].values["universal_service_id"] is None  # this OBX comes before any OBR


def test_structured_numeric_value_kept_as_delivered(samples_dir):
    rows, rejected = _sample(samples_dir, "ORU-R01-RMGEAD.hl7")
    assert rejected == [] and len(rows) == 1
    assert rows[0].values["observation_value"] == "^182"
    assert rows[0].values["patient_mrn"] == "555-44-4444"


@pytest.mark.parametrize("name", ["LAB-ORU-1.hl7", "LAB-ORU-2.hl7"])
def test_two_order_lab_reports(samples_dir, name):
    rows, rejected = _sample(samples_dir, name)
    assert rejected == [] and len(rows) == 10
    assert {row.values["patient_mrn"] for row in rows} == {"10006579"}
    assert len({row.values["filler_order_number"] for row in rows}) == 2


@pytest.mark.parametrize("end", ["\r", "\n", "\r\n"])
def test_messages_with_any_segment_ending(end):
    rows, rejected = _parse(b"\xef\xbb\xbf" + _file(A, B, C, end=end))
    assert rejected == []
    assert [row.values["message_control_id"] for row in rows] == ["A1", "A1", "B2", "B2", "C3"]
    assert [row.position for row in rows] == [(1, 4), (1, 5), (2, 4), (2, 5), (3, 4)]
    assert rows[2].values["patient_mrn"] == "M2"


def test_crlf_split_across_reads_is_one_line_ending():
    rows, rejected = split(parse_hl7_file(trickle(_file(A, B, end="\r\n"))))
    assert rejected == [] and len(rows) == 4


def test_batch_and_file_wrappers_are_not_records():
    data = _file([r"FHS|^~\&|LAB", r"BHS|^~\&|LAB"], A, B, ["BTS|2", "FTS|1"])
    rows, rejected = _parse(data)
    assert rejected == [] and len(rows) == 4


def test_mrn_is_the_repetition_typed_mr():
    message = [A[0], "PID|1||X-9^^^STATE^PI~M77^^^HOSP^MR||Doe^Jane", A[3]]
    rows, _ = _parse(_file(message))
    assert rows[0].values["patient_mrn"] == "M77"
    assert rows[0].values["patient_identifiers"] == "X-9^^^STATE^PI~M77^^^HOSP^MR"


def test_hl7_truncated_message_rejects_its_incomplete_obx():
    truncated = [*B[:-1], B[-1][: B[-1].index("|N|")]]  # cut before OBX-11
    rows, rejected = _parse(_file(A, truncated, C))
    assert [row.values["observation_value"] for row in rows] == ["95", "96", "97", "99"]
    assert len(rejected) == 1
    assert rejected[0].reason == "OBX segment has no OBX-11 result status: the message may be truncated"
    assert rejected[0].position == (2, 5)
    assert rejected[0].raw_text == (
        "OBX|2|NM|2345-7^Glucose^LN||98|mg/dL^milligram per deciliter^UCUM|70-99"
    )


def test_truncated_message_that_runs_into_the_next_msh():
    cut = "\r".join(B)[:-12].encode()  # no segment terminator after the cut
    rows, rejected = _parse(_file(A) + cut + _file(C))
    assert [row.values["message_control_id"] for row in rows] == ["A1", "A1", "B2", "C3"]
    assert [r.reason for r in rejected] == [
        "OBX segment has no OBX-11 result status: the message may be truncated"
    ]


def test_hl7_missing_msh_rejects_that_message_whole():
    rows, rejected = _parse(_file(A, B[1:], C))
    assert [row.values["message_control_id"] for row in rows] == ["A1", "A1", "C3"]
    assert len(rejected) == 1
    assert rejected[0].reason == "no MSH segment: the message starts with PID"
    assert rejected[0].raw_text == "\r".join(B[1:])
    assert rejected[0].position == (2, 1)


def test_hl7_missing_msh_in_the_first_message():
    rows, rejected = _parse(_file(A[1:], B))
    assert len(rows) == 2
    assert [r.reason for r in rejected] == ["no MSH segment: the message starts with PID"]


def test_msh_with_bad_encoding_characters_rejects_that_message():
    bad = [B[0].replace(r"^~\&", "^^^^"), *B[1:]]
    rows, rejected = _parse(_file(A, bad, C))
    assert len(rows) == 3
    assert [r.reason for r in rejected] == [
        "MSH-2 encoding characters '^^^^' are not 4 distinct separators"
    ]


def test_hl7_no_pid_rejects_that_message_whole():
    rows, rejected = _parse(_file(A, [B[0], *B[2:]], C))
    assert len(rows) == 3
    assert [(r.reason, r.position) for r in rejected] == [
        ("no PID segment: results cannot be attributed to a patient", (2, 1))
    ]
    assert rejected[0].raw_text.startswith("MSH|") and rejected[0].raw_text.count("\r") == 3


def test_hl7_no_obx_rejects_that_message_whole():
    rows, rejected = _parse(_file(A, B[:3], C))
    assert len(rows) == 3
    assert [(r.reason, r.position) for r in rejected] == [
        ("no OBX segment: the message carries no results", (2, 1))
    ]


def test_hl7_garbage_lines_are_rejected_one_by_one():
    data = b"garbage before\n" + _file(A, end="\n") + b"** not a segment **\n" + _file(B, end="\n")
    rows, rejected = _parse(data)
    assert len(rows) == 4
    assert [(r.raw_text, r.position) for r in rejected] == [
        ("garbage before", (1, 1)), ("** not a segment **", (1, 7)),
    ]
    assert {r.reason for r in rejected} == {
        "line is not an HL7 segment: no segment ID followed by '|'"
    }
    assert [row.position for row in rows] == [(1, 5), (1, 6), (2, 4), (2, 5)]


def test_segment_that_is_not_utf8_is_rejected_with_its_bytes():
    data = _file(A) + _file(B).replace(b"Doe^Jane", b"D\xf6e^Jane")
    rows, rejected = _parse(data)
    assert len(rows) == 2  # message B lost its PID line, so it is rejected too
    assert [r.reason for r in rejected] == [
        "segment is not valid UTF-8 at byte 22",
        "no PID segment: results cannot be attributed to a patient",
    ]
    assert "raw_hex" in rejected[0].detail


def test_empty_file_yields_nothing():
    assert _parse(b"") == ([], [])
    assert _parse(b"\r\n\n") == ([], [])


def test_hl7_streams_message_by_message():
    # Long NTE comments make a 3.5 MB file of 400 messages without slowing the test down.
    message = _file([*A, "NTE|1||" + "lorem ipsum " * 700], end="\n")

    def consume() -> int:
        return sum(1 for _ in parse_hl7_file(generated(message for _ in range(400))))

    count, peak = peak_memory_while(consume)
    assert count == 800
    assert peak < 1_000_000 < 400 * len(message)


def test_a_message_whose_only_pid_is_bare_is_rejected_not_a_crash():
    import io

    from healthcare_dataops.formats.hl7v2 import parse_hl7_file

    message = "MSH|^~\\&|LAB|FAC|||20260101||ORU^R01|1|P|2.5.1\rPID\rOBX|1|NM|2345-7^Glucose^LN||95|mg/dL|||||F\r"
    for reference in (False, True):
        [rejected] = list(parse_hl7_file(io.BytesIO(message.encode()), reference=reference))
        assert rejected.reason == "no PID segment: results cannot be attributed to a patient"


def test_an_msh_without_fields_after_its_encoding_characters_is_rejected():
    import io

    from healthcare_dataops.formats.hl7v2 import parse_hl7_file

    message = "MSH|^~\\&\rPID|1||123^^^H^MR\rOBX|1|NM|2345-7^Glucose^LN||95|mg/dL|||||F\r"
    [rejected] = list(parse_hl7_file(io.BytesIO(message.encode())))
    assert rejected.reason.startswith("MSH segment holds no field after MSH-2")

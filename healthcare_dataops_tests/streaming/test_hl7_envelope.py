"""What the listener reads before it accepts a message, and the acknowledgement it answers
with: read the way bronze reads the same message, and readable by the hl7 library."""

import io

import hl7
import pytest

from healthcare_dataops.formats.hl7v2 import parse_hl7_file
from healthcare_dataops.formats.records import ParsedRow
from healthcare_dataops.streaming.acknowledgements import APPLICATION_ERROR, acknowledgement
from healthcare_dataops.streaming.hl7_envelope import UnacceptableMessage, read_envelope
from healthcare_dataops_tests.formats.hl7v2_cases import MESSAGE, with_separators


@pytest.mark.parametrize("name", ["LAB-ORU-1.hl7", "LRI_2.0-NG_CBC_Typ_Message.hl7", "ORU-R01-01.hl7"])
def test_control_id_and_mrn_are_read_as_bronze_reads_them_in_real_messages(samples_dir, name):
    text = (samples_dir / "hl7v2" / name).read_bytes()
    second = text.find(b"\rMSH", text.find(b"MSH") + 3) + 1  # the file's first message, as a sender would send it
    first = text[:second] if second > 0 else text
    envelope = read_envelope(first)
    row = next(r for r in parse_hl7_file(io.BytesIO(first)) if isinstance(r, ParsedRow))
    assert (envelope.control_id, envelope.mrn) == (row.values["message_control_id"], row.values["patient_mrn"])


def test_other_separators_and_line_ends_read_the_same():
    plain = read_envelope("\r".join(MESSAGE).encode())
    other = read_envelope("\n".join(with_separators(MESSAGE, "#*$!@")).encode())
    assert (plain.control_id, plain.mrn) == (other.control_id, other.mrn) == ("C1", "M77")


@pytest.mark.parametrize(("block", "reason", "code"), [
    (b"", "empty message", "102"),
    (b"PID|1||M1", "no MSH segment", "102"),
    (b"MSH|^~|A", "MSH-2 encoding characters", "102"),
    ("\r".join([MESSAGE[0].replace("|C1|", "||"), *MESSAGE[1:]]).encode(), "no MSH-10", "101"),
    ("\r".join(MESSAGE).encode("utf-16"), "not valid UTF-8", "102"),
])
def test_a_message_that_cannot_be_taken_says_why(block, reason, code):
    with pytest.raises(UnacceptableMessage, match=reason) as refused:
        read_envelope(block)
    assert refused.value.error_code.startswith(code)


def test_the_acknowledgement_answers_the_message_and_escapes_its_reason():
    envelope = read_envelope("\r".join(MESSAGE).encode())
    reason = "broker said a|b^c~d&e\\f " + "x" * 100
    ack = hl7.parse(acknowledgement("AE", envelope, reason, APPLICATION_ERROR).decode())
    msh, msa, err = ack.segment("MSH"), ack.segment("MSA"), ack.segment("ERR")
    assert (str(msh[3]), str(msh[5]), str(msh[9])) == ("EHR", "LAB^1.2.3^ISO", "ACK^R01^ACK")
    assert (str(msa[1]), str(msa[2])) == ("AE", "C1")
    assert str(msa[3]) == r"broker said a\F\b\S\c\R\d\T\e\E\f " + "x" * 56  # MSA-3: 80 characters of text
    assert str(err[8]).endswith("x" * 100) and str(err[3]).startswith("207")
    assert str(hl7.parse(acknowledgement("AR", None, "no MSH").decode()).segment("MSA")[1]) == "AR"

"""HL7 v2 files for the parity tests of the split reading: edge cases written by hand, and
messages mutated at random (separators, fields and segments deleted or duplicated)."""

from __future__ import annotations

import random
from collections.abc import Callable

DEFAULT = "|^~\\&"  # field, component, repetition, escape, subcomponent

MESSAGE = [
    r"MSH|^~\&|LAB^1.2.3^ISO|ACME LAB|EHR|HOSP|20260105083000-0500||ORU^R01^ORU_R01|C1|P|2.5.1|||AL|NE",
    r"PID|1||X9^^^STATE^PI~M77^^^HOSP^MR||Doe^Jane^Q||19800101|F|||1 Main St^^Town^MA^02148",
    r"ORC|RE|PL-1^EHR|FL-1^LAB",
    r"OBR|1|PL-1^EHR|FL-1^LAB|24323-8^Comprehensive metabolic panel^LN|||20260105070000-0500",
    r"OBX|1|NM|2345-7^Glucose^LN||95|mg/dL^milligram per deciliter^UCUM|70-99|N|||F|||20260105070000-0500",
    r"OBX|2|ST|8251-1^Note \F\ with \S\, \R\, \T\ and \E\^LN|1|a\F\b~c^d&e|||A|||F",
    r"NTE|1||comment with \E\ and & and ~",
    r"OBX|3|SN|777-3^Platelets^LN||^182|10*3/uL&k^per uL^UCUM|150-400||||C|||20260105070000-0500",
]
MSH, PID, ORC, OBR, OBX, OBX_ESCAPED, NTE, OBX_SN = MESSAGE


def with_separators(lines: list[str], separators: str) -> list[str]:
    """The lines written with other separators: field, component, repetition, escape and
    subcomponent, then optionally HL7 2.7's truncation character."""
    table = str.maketrans(DEFAULT, separators[:5])
    msh, *rest = (line.translate(table) for line in lines)
    return [msh[:3] + separators[0] + separators[1:] + msh[8:], *rest]


def hl7_file(*messages: list[str], end: str = "\r") -> bytes:
    return "".join(segment + end for message in messages for segment in message).encode()


def _with_last(lines: list[str], tail: str) -> list[str]:
    return [*lines[:-1], lines[-1] + tail]


_WHITESPACE = [" ", "   ", "\t", "\xa0", "\u2003", "\x0c", "\x1d", "\x1f", "\x1c", " \t\xa0"]
_SEPARATORS = {
    "field separator # and component $": "#$~\\&",
    "truncation character in MSH-2": "|^~\\&#",
    "component and repetition swapped": "|~^\\&",
    "every separator unusual": "!@*%$",
    "separators outside ASCII": "§¤¦¬°",
    "control character as field separator": "\x01^~\\&",
}
_SHORT_OBX = [
    "OBX|1|NM|1-1^A^LN||5|mg||N|||F",  # ends at OBX-11
    "OBX|2|NM|1-2^B^LN||6|mg||N|||F|",
    "OBX|3|NM|1-3^C^LN||7|mg||N||",  # no OBX-11: truncated
    "OBX|4|NM|||8|mg||N|||F",  # no OBX-3
    "OBX|5",
]
_ESCAPES = r"\F\ \S\ \T\ \R\ \E\ \X0D0A\ \H\bold\N\ \.br\ \Zcustom\ \ \\"

EDGE_CASES: dict[str, bytes] = {
    "default separators": hl7_file(MESSAGE),
    **{name: hl7_file(with_separators(MESSAGE, seps), MESSAGE) for name, seps in _SEPARATORS.items()},
    "escape sequences everywhere": hl7_file([
        MSH, rf"PID|1||M1{_ESCAPES}^^^H^MR||Doe{_ESCAPES}^Jane", OBR,
        rf"OBX|1|ST|9-9^{_ESCAPES}^LN||{_ESCAPES}|{_ESCAPES}^u^UCUM|{_ESCAPES}|N|||F|||{_ESCAPES}",
    ]),
    "trailing whitespace of the last segment": hl7_file(
        *(_with_last([MSH, PID, OBR, OBX], tail) for tail in _WHITESPACE),
        *(_with_last([MSH, PID, "OBX|1|NM|1-1^A^LN||5|mg||N|||F"], tail) for tail in _WHITESPACE),
        *(_with_last([MSH, PID, OBX, NTE], tail) for tail in _WHITESPACE),
    ),
    "trailing whitespace of middle segments": hl7_file(
        *([MSH + tail, PID + tail, OBR + tail, OBX + tail, NTE] for tail in _WHITESPACE)
    ),
    "empty trailing fields": hl7_file([
        MSH + "||||", "PID|1||M1^^^H^MR|||||||||", OBR + "|||", OBX + "||||||", "NTE|1|||",
    ]),
    "PID-3 repetitions without an MR type": hl7_file([MSH, "PID|1||A1^^^X^PI~B2^^^Y^SS||Doe", OBX]),
    "PID-3 with an empty first repetition": hl7_file([MSH, "PID|1||~M5^^^H^MR", OBX]),
    "PID-3 MR repetition with an empty ID": hl7_file([MSH, "PID|1||A1^^^X^PI~^^^H^MR", OBX]),
    "PID-3 with subcomponents and an MR type in a later component": hl7_file(
        [MSH, "PID|1||M6&x&y^^^H&1&ISO^MR~M7^^^H^PI^MR", OBX]
    ),
    "OBX shorter than 14 fields": hl7_file([MSH, PID, OBR, *_SHORT_OBX], [MSH, PID, *_SHORT_OBX[:2]]),
    "whitespace lines inside and between messages": hl7_file(
        [MSH, PID, "   ", OBX], ["\t"], MESSAGE, ["\x0c"], [MSH, PID, OBX], end="\r\n"
    ),
    "CR LF endings": hl7_file(MESSAGE, MESSAGE, end="\r\n"),
    "LF endings": hl7_file(MESSAGE, MESSAGE, end="\n"),
    "mixed endings": hl7_file(MESSAGE, end="\r") + hl7_file(MESSAGE, end="\n") + hl7_file(MESSAGE, end="\r\n"),
    "byte-order mark": b"\xef\xbb\xbf" + hl7_file(MESSAGE, MESSAGE),
    "MLLP framing": b"".join(b"\x0b" + "\r".join(MESSAGE).encode() + b"\x1c\r" for _ in range(3)),
    "FHS and BHS wrappers": hl7_file(
        [r"FHS|^~\&|LAB|ACME", r"BHS|^~\&|LAB|ACME"], MESSAGE, MESSAGE, ["BTS|2", "FTS|1"]
    ),
    "bare PID line is the only PID": hl7_file(MESSAGE, [MSH, "PID", OBX]),
    "bare PID line before a full one": hl7_file([MSH, "PID", PID, OBX], [MSH, PID, "PID", OBX]),
    "bare OBR, OBX and NTE lines": hl7_file([MSH, PID, "OBR", "OBX", OBX, "NTE"]),
    "MSH ends after MSH-2": hl7_file(MESSAGE, [r"MSH|^~\&", PID, OBX]),
    "MSH ends after a 5-character MSH-2": hl7_file([r"MSH|^~\&#", PID, OBX]),
    "MSH ends after its second separator": hl7_file([r"MSH|^~\&|", PID, OBX]),
    "several PIDs before the results and one after": hl7_file(
        [MSH, PID, "PID|2||Q1^^^H^MR", OBX, PID, OBX, OBR, OBX_SN]
    ),
    "results before the first OBR and an OBR after them": hl7_file([MSH, PID, OBX, OBR, OBX_SN]),
    "text outside ASCII and a line that is not UTF-8": hl7_file(
        [MSH, "PID|1||M1^^^H^MR||Müller^Zoë", "OBX|1|ST|1^Größe 🧪^LN||très élevé|||H|||F"]
    ) + hl7_file([MSH, PID]).replace(b"Doe", b"D\xf6e") + hl7_file([OBX]),
    "a message cut short running into the next MSH": "\r".join(MESSAGE)[:-30].encode() + hl7_file(MESSAGE),
    "segments that are only separators": hl7_file([MSH, "PID||||", "OBR|", "OBX|||||||||||||||", OBX]),
    "Z segments and segments no parser knows": hl7_file([MSH, "ZPI|1|x^y", PID, "ZZ9|", OBX, "SPM|1|||"]),
    "lines that are not segments": hl7_file(["garbage"], MESSAGE, ["obx|lower"], ["OBX^1"], MESSAGE),
    "messages without MSH, PID or OBX": hl7_file(MESSAGE[1:], [MSH, OBX], [MSH, PID, NTE], MESSAGE),
    "MSH that fails the header check": hl7_file(
        [r"MSH|^~\&&|x", PID, OBX], [r"MSH|^~|x", PID, OBX], [r"MSHa^~\&a", PID, OBX], MESSAGE
    ),
}
# The edge cases with messages a split cannot read as the library does, and how many.
# (An MSH that ends after MSH-2, which hl7 would read again as MSH-3 onwards, is rejected by
# the header check before either reading.)
LIBRARY_READ = {
    "bare PID line is the only PID": 1,  # hl7's message.segment("PID") raises KeyError
}


Mutation = Callable[[list[str], str, random.Random], list[str]]


def _pick(lines: list[str], rnd: random.Random) -> int:
    return rnd.randrange(len(lines))


def _delete_separator(lines: list[str], seps: str, rnd: random.Random) -> list[str]:
    i = _pick(lines, rnd)
    places = [n for n, c in enumerate(lines[i]) if c in seps]
    if places:
        n = rnd.choice(places)
        lines[i] = lines[i][:n] + lines[i][n + 1:]
    return lines


def _duplicate_separator(lines: list[str], seps: str, rnd: random.Random) -> list[str]:
    i = _pick(lines, rnd)
    places = [n for n, c in enumerate(lines[i]) if c in seps]
    if places:
        n = rnd.choice(places)
        lines[i] = lines[i][:n] + lines[i][n] + lines[i][n:]
    return lines


def _delete_field(lines: list[str], seps: str, rnd: random.Random) -> list[str]:
    i = _pick(lines, rnd)
    fields = lines[i].split(seps[0])
    del fields[rnd.randrange(len(fields))]
    lines[i] = seps[0].join(fields)
    return lines


def _duplicate_field(lines: list[str], seps: str, rnd: random.Random) -> list[str]:
    i = _pick(lines, rnd)
    fields = lines[i].split(seps[0])
    n = rnd.randrange(len(fields))
    lines[i] = seps[0].join(fields[:n + 1] + fields[n:])
    return lines


def _delete_segment(lines: list[str], seps: str, rnd: random.Random) -> list[str]:
    del lines[_pick(lines, rnd)]
    return lines or [MSH]


def _duplicate_segment(lines: list[str], seps: str, rnd: random.Random) -> list[str]:
    i = _pick(lines, rnd)
    return lines[:i + 1] + lines[i:]


def _move_segment(lines: list[str], seps: str, rnd: random.Random) -> list[str]:
    segment = lines.pop(_pick(lines, rnd))
    lines.insert(rnd.randrange(len(lines) + 1), segment)
    return lines


def _pad_segment(lines: list[str], seps: str, rnd: random.Random) -> list[str]:
    i = _pick(lines, rnd)
    lines[i] += rnd.choice(_WHITESPACE)
    return lines


def _cut_short(lines: list[str], seps: str, rnd: random.Random) -> list[str]:
    text = "\r".join(lines)
    return text[: rnd.randrange(4, len(text) + 1)].split("\r")


def _bare_segment(lines: list[str], seps: str, rnd: random.Random) -> list[str]:
    lines.insert(rnd.randrange(1, len(lines) + 1), rnd.choice(["PID", "OBX", "OBR", "NTE"]))
    return lines


MUTATIONS: tuple[Mutation, ...] = (
    _delete_separator, _duplicate_separator, _delete_field, _duplicate_field, _delete_segment,
    _duplicate_segment, _move_segment, _pad_segment, _cut_short, _bare_segment,
)


def mutated_files(seed: int, count: int) -> list[bytes]:
    """``count`` files of one to three messages, each changed by one to three mutations."""
    rnd = random.Random(seed)
    separators = [DEFAULT, *_SEPARATORS.values()]
    files = []
    for _ in range(count):
        messages = []
        for _ in range(rnd.randint(1, 3)):
            seps = rnd.choice(separators)
            lines = with_separators(MESSAGE, seps)
            for mutation in rnd.sample(MUTATIONS, rnd.randint(1, 3)):
                lines = mutation(lines, seps[:5], rnd)
            messages.append(lines)
        files.append(hl7_file(*messages, end=rnd.choice(["\r", "\n", "\r\n"])))
    return files

"""CSV files for the parity tests of the block reading of Synthea CSV: edge cases written by
hand, and files mutated at random (delimiters, quotes and line ends deleted or duplicated,
bytes that are not UTF-8 inserted)."""

from __future__ import annotations

import random
from collections.abc import Callable

BOM = b"\xef\xbb\xbf"
HEADER = b"START,STOP,PATIENT,ENCOUNTER,SYSTEM,CODE,DESCRIPTION\n"
ROW = b"2023-01-27,2023-02-09,p1,e1,http://snomed.info/sct,195662009,Acute viral pharyngitis\n"
QUOTED = b'2011-08-09,,p2,e2,http://snomed.info/sct,232353008,"Rhinitis, perennial"\n'
SHORT = b"2019-03-01,,p3,e3,http://snomed.info/sct,44054006,Diabetes\n"
MULTILINE = b'2020-01-01,,p4,e4,sys,1,"a, b ""quoted"" and\nnew ""line"", done"\n'
ENROLLMENT = (
    b"device_id,patient_mrn,device_model,enrolled_at,site\n"
    b"d-1,MRN1,Watch 9,2026-01-05T10:00:00Z,north\n"
    b'd-2,MRN2,"Ring, gen 3",2026-01-06T10:00:00Z,\n'
    b"d-3,MRN3\n"
)
PATIENTS_V3 = (  # Synthea v3.0.0 patients: no MIDDLE, FIPS or INCOME, and a column of its own
    b"Id,BIRTHDATE,DEATHDATE,SSN,FIRST,LAST,GENDER,ZIP,HEALTHCARE_EXPENSES,NOTE\n"
    b"3edac2e3,2014-10-06,,999-18-4747,Ana,Lima,F,02155,1000.5,\n"
    + "a1,1950-01-01,2020-02-02,999-1,Zoë,Müller,F,,7,\"vegetarian, no nuts\"\n".encode()
)
# Longer than the csv module's default field-size limit (131,072 characters).
_LONG = b"y" * 140_000


def _file(*lines: bytes) -> bytes:
    return b"".join(lines)


# Conditions files (the table with the fewest columns), by what they hold.
_CONDITIONS: dict[str, bytes] = {
    "plain rows": _file(HEADER, ROW, SHORT),
    "quoted fields with commas, quotes and newlines": _file(
        HEADER, MULTILINE, ROW, QUOTED, b'"2020-02-02","","p5","e5","sys","2","all quoted"\n',
        b'2020,,p6,e6,s,3,"two\r\nlines, CRLF inside"\n', MULTILINE,
    ),
    "quoted empty fields and doubled quotes": _file(
        HEADER, b'"",,p,"",s,1,""\n', b'2020,,p,e,s,1,""""\n', b'2020,,p,e,s,1,"a""b"""\n',
    ),
    "a quote inside or after a field": _file(
        HEADER, b'2020,,p,e,s,1,say "hi"\n', b'2020,,p,e,s,1,"a"b\n', b'2020,,p,e,s,"1"2,x\n',
        b'2020,,p,e,s,1,a"b,"c\n', ROW, b'd"\n', ROW,
    ),
    "CRLF endings": _file(HEADER, ROW, QUOTED, MULTILINE, SHORT).replace(b"\n", b"\r\n"),
    "no newline at the end": _file(HEADER, ROW, SHORT.rstrip(b"\n")),
    "no newline at the end after a quoted field": _file(HEADER, ROW, QUOTED.rstrip(b"\n")),
    "a quote open at the end of the file": _file(HEADER, ROW, b'2020,,p,e,s,1,"open\nstill\n'),
    "byte-order mark": _file(BOM, HEADER, ROW),
    "byte-order mark with CRLF": _file(BOM, HEADER, ROW, QUOTED).replace(b"\n", b"\r\n"),
    "byte-order mark only": BOM,
    "byte-order mark on a later line": _file(HEADER, BOM, ROW, BOM + b"\n"),
    "header with extra and missing columns": _file(
        "Code, patient ,START,EXTRA_NOTE,Ünïcode Note\n".encode(),
        b'1234,p1,2020-01-01,"a, b",x\n', "5678,p2,2020-02-02,,é\n".encode(), b"9,p3,2020,n,\n",
    ),
    "duplicate header names": _file(
        b"START,PATIENT,CODE,code,NOTE,Note,NOTE,start\n",
        b"2020,p1,1,2,n1,n2,n3,2021\n", b"2020,p1,,,,,,\n", b'2020,p1,1,2,"a\nb",,"c",\n',
    ),
    "known columns after unknown ones": _file(
        b"NOTE,DESCRIPTION,CODE,PATIENT,START\n", b"n,d,1,p,2020\n", b",,1,p,2020\n",
    ),
    "rows of only commas": _file(HEADER, b",,,,,,\n", b",,,\n", ROW, b",,,,,,,\n"),
    "bytes that are not UTF-8": _file(
        HEADER, ROW, b"2011-08-09,,p2,e2,sys,232353008,Caf\xe9 au lait\n", SHORT,
        b"\xff\xfe,,,\n", b"2020,,p,e,s,1,\xc3\n", b"2020,,p,e,s,1,\xed\xa0\x80\n", ROW,
    ),
    "bytes that are not UTF-8 inside a quoted field": _file(
        HEADER, b'2020,,p,e,s,1,"Caf\xe9, au\nlait"\n', ROW,
        b'2020,,p,e,s,1,"ok\nthen \xff"\n', SHORT,
    ),
    "empty file": b"",
    "header only": HEADER,
    "header only without a newline": HEADER.rstrip(b"\n"),
    "blank lines everywhere": _file(
        b"\n\r\n  \n", HEADER, b"\n", ROW, b"   \t\n", b"\x0b\x0c\n", SHORT, b"\n\n",
        b" \r \n", b"\xc2\xa0\n",
    ),
    "blank lines only": b"\n\n \n\r\n",
    "stray carriage returns": _file(
        HEADER, b"2020,,p,e,s,1,a\rb\n", ROW, b"2020,,p,e,s,1,desc\r\r\n", b"\r\n", b"\r", ROW,
        b'2020,,p,e,s,1,"quoted\rreturn"\n', b"2020,,p,e,s,1,x\r",
    ),
    "an unclosed quote ended by the field-size limit": _file(
        HEADER, ROW, b'2020-01-01,,p4,e4,sys,1,"never closed\n', b"x" * 200_000 + b"\n", ROW, SHORT,
    ),
    "a line longer than the field-size limit": _file(
        HEADER, ROW, b"2020,,p,e,s,1," + _LONG + b"\n", ROW,
        b"2020,,p,e,s,1," + _LONG[:131_072] + b"\n",  # a field of exactly the limit
    ),
    "NUL characters": _file(HEADER, b"2020,,p\x00,e,s,1,d\n", b'2020,,p,e,s,1,"\x00"\n'),
    "text outside ASCII": _file(HEADER, "2020,,p,e,s,1,Zoë 🧪 Größe\n".encode(), ROW),
    "header not UTF-8": _file(b"START,PATIENT,CODE,D\xe9SC\n", b"2020,p,1,x\n", b"\n"),
    "header with a stray carriage return": _file(b"START,PATIENT\rX,CODE\n", ROW, b"\n"),
    "header with an unclosed quote": _file(b'START,"PATIENT,CODE\n', ROW, SHORT),
    "header lacking required columns, rows of every kind": _file(
        b"START,STOP,CODE\n", ROW, b"\n", b"2020,,\xff\n", MULTILINE, b"a\rb\n",
        QUOTED.rstrip(b"\n"),
    ),
    "header of one column": _file(b"PATIENT\n", b"p1\n", b"  \n", b"\n", b"p2\n"),
    "quoted header after blank lines": _file(
        b"\n\n", b'"START","PATIENT","CODE","NOTE, with comma"\n', b'2020,p,1,"n"\n',
    ),
    "quoted newline inside the header": _file(b'"START","PAT\nIENT",CODE\n', ROW),
    "UTF-16 with a byte-order mark": _file(HEADER, ROW, QUOTED, MULTILINE).decode().encode("utf_16"),
}
# name → (table, delivered bytes); "enrollment" is parse_enrollment_csv.
EDGE_CASES: dict[str, tuple[str, bytes]] = {
    **{name: ("conditions", data) for name, data in _CONDITIONS.items()},
    "patients as Synthea v3 writes them": ("patients", PATIENTS_V3),
    "device enrollments": ("enrollment", ENROLLMENT),
}


Mutation = Callable[[bytearray, random.Random], None]


def _at(data: bytearray, rnd: random.Random, byte_values: bytes) -> int | None:
    places = [n for n, c in enumerate(data) if c in byte_values]
    return rnd.choice(places) if places else None


def _delete(chars: bytes) -> Mutation:
    def mutate(data: bytearray, rnd: random.Random) -> None:
        n = _at(data, rnd, chars)
        if n is not None:
            del data[n]
    return mutate


def _duplicate(chars: bytes) -> Mutation:
    def mutate(data: bytearray, rnd: random.Random) -> None:
        n = _at(data, rnd, chars)
        if n is not None:
            data.insert(n, data[n])
    return mutate


def _insert(*pieces: bytes) -> Mutation:
    def mutate(data: bytearray, rnd: random.Random) -> None:
        n = rnd.randrange(len(data) + 1)
        data[n:n] = rnd.choice(pieces)
    return mutate


def _truncate(data: bytearray, rnd: random.Random) -> None:
    del data[rnd.randrange(len(data) + 1):]


MUTATIONS: list[Mutation] = [
    _delete(b","), _duplicate(b","), _delete(b'"'), _duplicate(b'"'), _insert(b'"'),
    _delete(b"\n"), _duplicate(b"\n"), _insert(b"\r", b"\r\n", b"\n", b"\n\n", b" \n"),
    _insert(b"\xff", b"\xe9", b"\xc3", b"\xed\xa0\x80", b"\xf0\x9f"),
    _insert(b",", b",,", b'","', b'"\n"'), _insert(b"\x00", BOM, "é".encode()), _truncate,
]
_BASES = [
    _file(HEADER, ROW, QUOTED, SHORT, MULTILINE, ROW),
    _file(HEADER, ROW, QUOTED, SHORT, MULTILINE, ROW).replace(b"\n", b"\r\n"),
    _file(BOM, HEADER, *[ROW, SHORT] * 4),
    _file(b"Code,patient,START,EXTRA_NOTE,NOTE,NOTE\n", b'1,p1,2020,"a, b",n,m\n', b"2,p,2,,,\n"),
]


def mutated_files(seed: int, count: int) -> list[bytes]:
    """``count`` conditions files, each a base file with one to four random mutations."""
    rnd = random.Random(seed)
    files = []
    for _ in range(count):
        data = bytearray(rnd.choice(_BASES))
        for _ in range(rnd.randint(1, 4)):
            rnd.choice(MUTATIONS)(data, rnd)
        files.append(bytes(data))
    return files

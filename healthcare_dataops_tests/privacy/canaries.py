"""PHI canaries planted in every PHI field of every source feed, before the generator injects
its faults, so that canary-bearing records also land in the quarantines.

A canary is ``CANARY<KIND><number>X``: one regular expression finds them all. Identifiers that
join sources (MRN, encounter Id, device serial, HL7 message and order numbers) get one canary
per entity, the same in every file, so the joins still work; every other value gets a canary
of its own.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

CANARY = re.compile(rb"CANARY[A-Z]+[0-9]+X")

# HIPAA Safe Harbor identifiers (45 CFR 164.514(b)(2)(i)) in the Synthea patients export:
# names (A), geographic subdivisions smaller than a state with full ZIP and geocodes (B),
# phone (D), SSN (G), licence numbers (K: driver's licence, passport), and the MRN (H) as Id.
# Dates (C) are generalised, not withheld: the date-shift tests cover them.
PATIENT_PHI = ("SSN", "DRIVERS", "PASSPORT", "PREFIX", "FIRST", "MIDDLE", "LAST", "SUFFIX",
               "MAIDEN", "BIRTHPLACE", "ADDRESS", "CITY", "COUNTY", "FIPS", "ZIP", "LAT", "LON",
               "PHONE")
# Free text a clinician may type (a reason for a visit or a prescription): treated as PHI.
# DESCRIPTION columns are the display names of SNOMED/RxNorm/LOINC codes, not free text.
FREE_TEXT = {"encounters": ("REASONDESCRIPTION",), "medications": ("REASONDESCRIPTION",)}


@dataclass
class Canaries:
    """Every planted canary, by whether bronze keeps the field it sits in as a column (or in
    raw text) or drops it (HL7 segments other than MSH, PID-3/5 and OBX are parsed, not kept)."""

    kept: set[bytes] = field(default_factory=set)
    dropped: set[bytes] = field(default_factory=set)
    entities: dict[tuple[str, str], str] = field(default_factory=dict)
    fields: dict[str, int] = field(default_factory=dict)  # "source field" -> canaries planted

    def _new(self, kind: str, where: str, kept: bool) -> str:
        value = f"CANARY{kind}{len(self.kept) + len(self.dropped) + 1:06d}X"
        (self.kept if kept else self.dropped).add(value.encode())
        self.fields[where] = self.fields.get(where, 0) + 1
        return value

    def fresh(self, kind: str, where: str, kept: bool = True) -> str:
        return self._new(re.sub("[^A-Z]", "", kind.upper()), where, kept)

    def entity(self, kind: str, original: str, where: str) -> str:
        """The same canary wherever ``original`` identifies the same ``kind`` of entity."""
        if not original:
            return original
        if (kind, original) not in self.entities:
            self.entities[(kind, original)] = self._new(kind, where, True)
        self.fields[where] = self.fields.get(where, 0) + 1
        return self.entities[(kind, original)]

    @property
    def all(self) -> set[bytes]:
        return self.kept | self.dropped


def plant(landing: Path) -> Canaries:
    canaries = Canaries()
    for path in sorted(landing.glob("ehr/*/*.csv")):
        _rewrite_csv(path, lambda row, table=path.stem: _ehr_row(canaries, table, row))
    for path in sorted(landing.glob("wearables/*/device_enrollment.csv")):
        _rewrite_csv(path, lambda row: _enrollment_row(canaries, row))
    for path in sorted(landing.glob("labs/*/*.hl7")):
        _rewrite_hl7(canaries, path)
    for path in sorted(landing.glob("wearables/*/*.jsonl")):
        _rewrite_jsonl(canaries, path)
    for path in sorted(landing.glob("fhir/*/*.ndjson")):
        lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        path.write_text("".join(json.dumps(_fhir(canaries, r), separators=(",", ":")) + "\n" for r in lines),
                        encoding="utf-8")
    for path in sorted(landing.glob("fhir/*/*.json")):
        document = json.loads(path.read_text(encoding="utf-8"))
        for entry in document.get("entry", []) if document.get("resourceType") == "Bundle" else []:
            entry["resource"] = _fhir(canaries, entry["resource"])
        path.write_text(json.dumps(document, indent=1), encoding="utf-8")
    return canaries


def _rewrite_csv(path: Path, edit) -> None:
    text = path.read_text(encoding="utf-8")
    rows = list(csv.DictReader(io.StringIO(text)))
    if not rows:
        return
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    for row in rows:
        edit(row)
        writer.writerow(row)
    path.write_text(out.getvalue(), encoding="utf-8")


def _ehr_row(canaries: Canaries, table: str, row: dict) -> None:
    where = f"ehr {table}"
    if table == "patients":
        row["Id"] = canaries.entity("MRN", row["Id"], f"{where} Id (MRN)")
        for column in PATIENT_PHI:
            if column in row:
                row[column] = canaries.fresh(column, f"{where} {column}")
        return
    if table == "encounters":
        row["Id"] = canaries.entity("ENC", row["Id"], f"{where} Id")
    if "PATIENT" in row:
        row["PATIENT"] = canaries.entity("MRN", row["PATIENT"], f"{where} PATIENT (MRN)")
    if "ENCOUNTER" in row:
        row["ENCOUNTER"] = canaries.entity("ENC", row["ENCOUNTER"], f"{where} ENCOUNTER")
    for column in FREE_TEXT.get(table, ()):
        if row.get(column):
            row[column] = canaries.fresh("REASON", f"{where} {column} (free text)")
    if table == "observations" and row.get("TYPE") == "text":
        # Synthea's SDOH answers: 56799-0 holds the street address.
        row["VALUE"] = canaries.fresh("OBSTEXT", f"{where} VALUE of text observations ({row['CODE']} ...)")


def _enrollment_row(canaries: Canaries, row: dict) -> None:
    where = "wearables device_enrollment"
    row["DEVICE_ID"] = canaries.entity("DEV", row["DEVICE_ID"], f"{where} DEVICE_ID (serial)")
    row["PATIENT_MRN"] = canaries.entity("MRN", row["PATIENT_MRN"], f"{where} PATIENT_MRN")


def _set(fields: list[str], number: int, value: str) -> None:
    fields.extend([""] * (number + 1 - len(fields)))
    fields[number] = value


def _rewrite_hl7(canaries: Canaries, path: Path) -> None:
    """Segments end in \\r, messages in the lab's own separator: both are kept as delivered."""
    parts = re.split(r"(\r\n|\r|\n)", path.read_bytes().decode("utf-8"))
    out = []
    for text in parts:
        segment = text[:3]
        if not re.fullmatch(r"[A-Z][A-Z0-9]{2}", segment) or text[3:4] != "|":
            out.append(text)
            continue
        f = text.split("|")
        added: list[str] = []
        c = canaries
        if segment == "MSH":
            _set(f, 9, c.entity("MSG", f[9], "hl7 MSH-10 message control id"))  # MSH-1 is the '|'
        elif segment == "PID":
            mrn, *rest = f[3].split("^")
            _set(f, 3, "^".join([c.entity("MRN", mrn, "hl7 PID-3 MRN"), *rest]))
            _set(f, 5, f"{c.fresh('FAMILY', 'hl7 PID-5 name')}^{c.fresh('GIVEN', 'hl7 PID-5 name')}")
            dropped = {"kept": False}
            _set(f, 11, f"{c.fresh('STREET', 'hl7 PID-11 address', **dropped)}^^"
                        f"{c.fresh('CITY', 'hl7 PID-11 address', **dropped)}^MA^"
                        f"{c.fresh('ZIP', 'hl7 PID-11 address', **dropped)}^USA^H")
            _set(f, 13, f"^PRN^PH^^1^555^{c.fresh('PHONE', 'hl7 PID-13 home phone', **dropped)}")
            _set(f, 14, f"^WPN^PH^^1^555^{c.fresh('PHONE', 'hl7 PID-14 business phone', **dropped)}")
            _set(f, 18, c.fresh("ACCOUNT", "hl7 PID-18 account number", **dropped))
            _set(f, 19, c.fresh("SSN", "hl7 PID-19 SSN", **dropped))
            # Next of kin: a relative's name, address and phone (Safe Harbor covers relatives).
            added.append(f"NK1|1|{c.fresh('KINFAMILY', 'hl7 NK1-2 name', **dropped)}^"
                         f"{c.fresh('KINGIVEN', 'hl7 NK1-2 name', **dropped)}|SPO^Spouse^HL70063|"
                         f"{c.fresh('KINSTREET', 'hl7 NK1-4 address', **dropped)}^^Boston^MA^02110|"
                         f"^PRN^PH^^1^555^{c.fresh('KINPHONE', 'hl7 NK1-5 phone', **dropped)}")
        elif segment in ("ORC", "OBR"):
            placer, filler = (2, 3)
            for number, kind in ((placer, "PLACER"), (filler, "FILLER")):
                if len(f) > number and f[number]:
                    first, *rest = f[number].split("^")
                    _set(f, number, "^".join([c.entity(kind, first, f"hl7 {segment}-{number} order number"), *rest]))
            provider = 12 if segment == "ORC" else 16
            _set(f, provider, f"{c.fresh('PROVIDERID', f'hl7 {segment}-{provider} ordering provider', kept=False)}^"
                              f"{c.fresh('PROVIDER', f'hl7 {segment}-{provider} ordering provider', kept=False)}^Ann")
            if segment == "OBR":
                # An order comment, and a free-text result: bronze keeps the OBX row (silver
                # quarantines it: no analyte for the code, no number in OBX-5).
                added.append(f"NTE|1|L|Patient says {c.fresh('NOTE', 'hl7 NTE-3 comment', kept=False)} "
                             "drove her here")
                added.append(f"OBX|99|TX|8251-1^Service comment^LN||"
                             f"Called {c.fresh('OBXTEXT', 'hl7 OBX-5 free text (TX)')} at home||||||F")
        out.append("|".join(f) + "".join(f"\r{a}" for a in added))
    path.write_bytes("".join(out).encode("utf-8"))


def _rewrite_jsonl(canaries: Canaries, path: Path) -> None:
    lines = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        point = json.loads(line)
        header = point["header"]
        header["id"] = canaries.fresh("POINT", "wearables header.id (data point id)")
        header["user_id"] = canaries.entity("DEV", header["user_id"], "wearables header.user_id (device serial)")
        if number % 25 == 0:
            # Free text a companion app lets the wearer add.
            point["body"]["user_notes"] = f"felt dizzy at {canaries.fresh('NOTES', 'wearables body.user_notes')}"
        lines.append(json.dumps(point, separators=(",", ":")) + "\n")
    path.write_text("".join(lines), encoding="utf-8")


def _fhir(canaries: Canaries, resource: dict) -> dict:
    """Every PHI element of a FHIR resource as the generator writes it, and free text where
    clinicians type it (a note, a reference's display, the narrative)."""
    c, kind = canaries, resource["resourceType"]
    where = f"fhir {kind}"
    if kind == "Patient":
        resource["id"] = c.entity("MRN", resource["id"], f"{where}.id (MRN)")
        for identifier in resource.get("identifier", []):
            code = identifier["type"]["coding"][0]["code"]
            identifier["value"] = (c.entity("MRN", identifier["value"], f"{where}.identifier MR") if code == "MR"
                                   else c.fresh(code, f"{where}.identifier {code}"))
        for name in resource.get("name", []):
            name["family"] = c.fresh("FAMILY", f"{where}.name.family")
            name["given"] = [c.fresh("GIVEN", f"{where}.name.given") for _ in name.get("given", [])]
            if name.get("prefix"):
                name["prefix"] = [c.fresh("PREFIX", f"{where}.name.prefix")]
        for telecom in resource.get("telecom", []):
            telecom["value"] = c.fresh("PHONE", f"{where}.telecom")
        for address in resource.get("address", []):
            address["line"] = [c.fresh("STREET", f"{where}.address.line")]
            for part in ("city", "district", "postalCode"):
                if part in address:
                    address[part] = c.fresh(part, f"{where}.address.{part}")
        for extension in resource.get("extension", []):
            if "valueAddress" in extension:
                extension["valueAddress"] = {"city": c.fresh("BIRTHPLACE", f"{where} birthPlace")}
    else:
        if kind == "Encounter":
            resource["id"] = c.entity("ENC", resource["id"], f"{where}.id")
        subject = resource.get("subject", {})
        if "reference" in subject:
            mrn = subject["reference"].removeprefix("Patient/")
            subject["reference"] = f"Patient/{c.entity('MRN', mrn, f'{where}.subject')}"
            subject["display"] = c.fresh("NAME", f"{where}.subject.display (the patient's name)")
        encounter = resource.get("encounter", {})
        if "reference" in encounter:
            encounter_id = encounter["reference"].removeprefix("urn:uuid:")
            encounter["reference"] = f"urn:uuid:{c.entity('ENC', encounter_id, f'{where}.encounter')}"
        for reason in resource.get("reasonCode", []):
            text = c.fresh("REASON", f"{where}.reasonCode text (free text)")
            reason["text"] = reason["coding"][0]["display"] = text
        if "valueString" in resource:
            resource["valueString"] = c.fresh("OBSTEXT", f"{where}.valueString")
        if kind != "Encounter":  # R4's Encounter has no note
            resource["note"] = [{"text": f"Patient said {c.fresh('NOTE', f'{where}.note')} on the phone"}]
    narrative = c.fresh("NARRATIVE", f"{where}.text.div")
    resource["text"] = {"status": "generated", "div": f'<div xmlns="http://www.w3.org/1999/xhtml">{narrative}</div>'}
    return resource

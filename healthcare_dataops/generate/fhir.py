"""The EHR's daily export as FHIR R4: the same rows as the Synthea CSV export, as resources.

Bulk Data NDJSON, a file per resource type (``Patient.000.ndjson``, ...), with the export's
manifest; a day's conditions travel as a transaction bundle instead, as an EHR's event feed
sends them (entries with ``fullUrl`` and ``request``). Each resource carries the PHI the CSV
row carries (names, address, telecom, SSN, licences, free-text reasons, the text answers of
social-history questions) where FHIR puts it, and ``meta.lastUpdated`` at the day's export,
so that a stay exported open and later discharged replaces its older version.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path

from healthcare_dataops.formats.records import EHR_COLUMNS
from healthcare_dataops.landing_layout import FHIR, day_folder, fhir_file_name

from .ledger import AtomicText, FileRecord, relative

V2_0203 = "http://terminology.hl7.org/CodeSystem/v2-0203"
US_CORE = "http://hl7.org/fhir/us/core/StructureDefinition/"
SNOMED, LOINC, RXNORM = "http://snomed.info/sct", "http://loinc.org", "http://www.nlm.nih.gov/research/umls/rxnorm"
UCUM = "http://unitsofmeasure.org"
RACES = {"white": ("2106-3", "White"), "black": ("2054-5", "Black or African American"),
         "asian": ("2028-9", "Asian"), "native": ("1002-5", "American Indian or Alaska Native"),
         "hawaiian": ("2076-8", "Native Hawaiian or Other Pacific Islander"), "other": ("2131-1", "Other Race")}
ETHNICITIES = {"hispanic": ("2135-2", "Hispanic or Latino"), "nonhispanic": ("2186-5", "Not Hispanic or Latino")}
CLASSES = {"inpatient": "IMP", "emergency": "EMER", "ambulatory": "AMB", "wellness": "AMB", "outpatient": "AMB",
           "urgentcare": "AMB", "virtual": "VR", "home": "HH"}
RESOURCE_TYPES = {"patients": "Patient", "encounters": "Encounter", "conditions": "Condition",
                  "medications": "MedicationRequest", "observations": "Observation"}
BUNDLED = "conditions"
MANIFEST_NAME = "export-manifest.json"


# What identifies a record the CSV gives no id: the keys silver merges it by.
RECORD_KEYS = {"conditions": ("patient", "encounter", "code", "start"),
               "medications": ("patient", "encounter", "code", "start"),
               "observations": ("patient", "encounter", "code", "date")}


def resource_id(table: str, values: dict[str, str]) -> str:
    """Ids of records that have none in the CSV: a hash of the record's key, so that the same
    record delivered again (an open stay's orders) is the same resource."""
    key = "|".join([table, *(values[c] for c in RECORD_KEYS[table])])
    digest = hashlib.blake2b(key.encode(), digest_size=16).hexdigest()
    return f"{digest[:8]}-{digest[8:12]}-{digest[12:16]}-{digest[16:20]}-{digest[20:]}"


class FhirDay:
    """One day's FHIR export, written resource by resource as the simulation produces rows."""

    def __init__(self, root: Path, day: dt.date):
        self.root, self.day = root, day
        self.folder = root / day_folder(FHIR, day)
        self.stamp = f"{day.isoformat()}T23:30:00Z"
        self.files: dict[str, tuple[AtomicText, FileRecord]] = {}
        self.bundle: list[dict] = []

    def write(self, table: str, row: list[str]) -> None:
        values = dict(zip(EHR_COLUMNS[table], row, strict=True))
        resource = BUILDERS[table](values, row)
        resource["meta"] = {"lastUpdated": self.stamp}
        if table == BUNDLED:
            self.bundle.append(resource)
            return
        kind = resource["resourceType"]
        if kind not in self.files:
            path = self.folder / fhir_file_name(kind, self.day)
            self.files[kind] = (AtomicText(path, newline="\n"), FileRecord(relative(self.root, path), "fhir_resources"))
        handle, record = self.files[kind]
        handle.write(json.dumps(resource, separators=(",", ":")) + "\n")
        record.rows += 1

    def close(self) -> list[FileRecord]:
        records = []
        for handle, record in self.files.values():
            handle.close()
            records.append(record)
        if self.bundle:
            records.append(self._write_bundle())
        records.append(self._write_manifest(records))
        return records

    def _write_bundle(self) -> FileRecord:
        entries = [{"fullUrl": f"urn:uuid:{r['id']}", "resource": r,
                    "request": {"method": "PUT", "url": f"{r['resourceType']}/{r['id']}"}} for r in self.bundle]
        bundle = {"resourceType": "Bundle", "type": "transaction", "timestamp": self.stamp, "entry": entries}
        path = self.folder / f"conditions_{self.day.strftime('%Y%m%d')}.json"
        handle = AtomicText(path, newline="\n")
        handle.write(json.dumps(bundle, indent=1) + "\n")
        handle.close()
        return FileRecord(relative(self.root, path), "fhir_resources", rows=len(entries))

    def _write_manifest(self, records: list[FileRecord]) -> FileRecord:
        output = [{"type": r.path.rsplit("/", 1)[1].split(".")[0], "url": r.path.rsplit("/", 1)[1], "count": r.rows}
                  for r in records if r.path.endswith(".ndjson")]
        manifest = {"transactionTime": self.stamp, "request": "[base]/$export?_type=Patient,Encounter,Condition,"
                    "MedicationRequest,Observation", "requiresAccessToken": True, "output": output, "error": []}
        path = self.folder / MANIFEST_NAME
        handle = AtomicText(path, newline="\n")
        handle.write(json.dumps(manifest, indent=1) + "\n")
        handle.close()
        return FileRecord(relative(self.root, path), "fhir_resources", rows=1)


def _patient_ref(patient: str) -> dict:
    return {"reference": f"Patient/{patient}"}


def _encounter_ref(encounter: str) -> dict | None:
    return {"reference": f"urn:uuid:{encounter}"} if encounter else None


def _concept(system: str, code: str, display: str, text: str | None = None) -> dict:
    concept = {"coding": [{"system": system, "code": code, "display": display}]}
    return {**concept, "text": text} if text else concept


def _identifier(kind: str, display: str, system: str, value: str) -> dict | None:
    return {"type": _concept(V2_0203, kind, display, display), "system": system, "value": value} if value else None


def _compact(resource: dict) -> dict:
    return {k: v for k, v in resource.items() if v not in (None, "", [], {})}


def _patient(v: dict, _row) -> dict:
    race, ethnicity = RACES.get(v["race"]), ETHNICITIES.get(v["ethnicity"])
    given = [g for g in (v["first"], v["middle"]) if g]
    names = [_compact({"use": "official", "family": v["last"], "given": given,
                       "prefix": [v["prefix"]] if v["prefix"] else [], "suffix": [v["suffix"]] if v["suffix"] else []})]
    if v["maiden"]:
        names.append({"use": "maiden", "family": v["maiden"], "given": given})
    extensions = [{"url": US_CORE + "us-core-birthsex", "valueCode": v["gender"]}]
    for url, found in ((US_CORE + "us-core-race", race), (US_CORE + "us-core-ethnicity", ethnicity)):
        if found:
            extensions.append({"url": url, "extension": [
                {"url": "ombCategory", "valueCoding": {"system": "urn:oid:2.16.840.1.113883.6.238", "code": found[0],
                                                       "display": found[1]}},
                {"url": "text", "valueString": found[1]}]})
    if v["birthplace"]:
        extensions.append({"url": "http://hl7.org/fhir/StructureDefinition/patient-birthPlace",
                           "valueAddress": {"city": v["birthplace"]}})
    identifiers = [_identifier("MR", "Medical Record Number", "urn:oid:2.16.840.1.113883.19.5", v["id"]),
                   _identifier("SS", "Social Security Number", "http://hl7.org/fhir/sid/us-ssn", v["ssn"]),
                   _identifier("DL", "Driver's license number", "urn:oid:2.16.840.1.113883.4.3.25", v["drivers"]),
                   _identifier("PPN", "Passport Number", "urn:oid:2.16.840.1.113883.4.330", v["passport"])]
    address = _compact({"line": [v["address"]] if v["address"] else [], "city": v["city"], "district": v["county"],
                        "state": v["state"], "postalCode": v["zip"], "country": "US"})
    if v["lat"] and v["lon"]:
        where = [{"url": "latitude", "valueDecimal": float(v["lat"])},
                 {"url": "longitude", "valueDecimal": float(v["lon"])}]
        address["extension"] = [{"url": "http://hl7.org/fhir/StructureDefinition/geolocation", "extension": where}]
    full_name = " ".join(p for p in (v["prefix"], *given, v["last"]) if p)
    return _compact({
        "resourceType": "Patient", "id": v["id"],
        "text": {"status": "generated", "div": f'<div xmlns="http://www.w3.org/1999/xhtml">{full_name}</div>'},
        "extension": extensions, "identifier": [i for i in identifiers if i], "name": names,
        "telecom": [{"system": "phone", "value": v["phone"], "use": "home"}] if v["phone"] else [],
        "gender": {"F": "female", "M": "male"}.get(v["gender"], "unknown"), "birthDate": v["birthdate"],
        "deceasedDateTime": v["deathdate"] or None, "address": [address] if address else [],
        "maritalStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-MaritalStatus",
                                      "code": v["marital"]}]} if v["marital"] else None,
    })


def _encounter(v: dict, _row) -> dict:
    return _compact({
        "resourceType": "Encounter", "id": v["id"], "status": "finished" if v["stop"] else "in-progress",
        "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode",
                  "code": CLASSES.get(v["encounterclass"], v["encounterclass"].upper())},
        "type": [_concept(SNOMED, v["code"], v["description"], v["description"])],
        "subject": _patient_ref(v["patient"]),
        "participant": [{"individual": {"reference": f"Practitioner/{v['provider']}"}}] if v["provider"] else [],
        "period": _compact({"start": v["start"], "end": v["stop"]}),
        "reasonCode": [_concept(SNOMED, v["reasoncode"], v["reasondescription"], v["reasondescription"])]
        if v["reasoncode"] else [],
        "serviceProvider": {"reference": f"Organization/{v['organization']}"} if v["organization"] else None,
    })


def _condition(v: dict, row) -> dict:
    return _compact({
        "resourceType": "Condition", "id": resource_id("conditions", v),
        "clinicalStatus": _concept("http://terminology.hl7.org/CodeSystem/condition-clinical",
                                   "resolved" if v["stop"] else "active", "Resolved" if v["stop"] else "Active"),
        "category": [_concept("http://terminology.hl7.org/CodeSystem/condition-category", "encounter-diagnosis",
                              "Encounter Diagnosis")],
        "code": _concept(SNOMED, v["code"], v["description"], v["description"]),
        "subject": _patient_ref(v["patient"]), "encounter": _encounter_ref(v["encounter"]),
        "onsetDateTime": v["start"], "abatementDateTime": v["stop"] or None,
    })


def _medication(v: dict, row) -> dict:
    dispenses = int(v["dispenses"]) if v["dispenses"].isdigit() else None
    return _compact({
        "resourceType": "MedicationRequest", "id": resource_id("medications", v),
        "status": "stopped" if v["stop"] else "active", "intent": "order",
        "medicationCodeableConcept": _concept(RXNORM, v["code"], v["description"], v["description"]),
        "subject": _patient_ref(v["patient"]), "encounter": _encounter_ref(v["encounter"]), "authoredOn": v["start"],
        "reasonCode": [_concept(SNOMED, v["reasoncode"], v["reasondescription"], v["reasondescription"])]
        if v["reasoncode"] else [],
        "dispenseRequest": _compact({
            "numberOfRepeatsAllowed": dispenses - 1 if dispenses else None,
            "validityPeriod": _compact({"start": v["start"], "end": v["stop"]})}),
    })


def _observation(v: dict, row) -> dict:
    numeric = v["type"] == "numeric"
    value = ({"valueQuantity": _compact({"value": float(v["value"]), "unit": v["units"], "system": UCUM,
                                         "code": v["units"]})} if numeric else {"valueString": v["value"]})
    return _compact({
        "resourceType": "Observation", "id": resource_id("observations", v), "status": "final",
        "category": [_concept("http://terminology.hl7.org/CodeSystem/observation-category", v["category"],
                              v["category"])],
        "code": _concept(LOINC, v["code"], v["description"], v["description"]),
        "subject": _patient_ref(v["patient"]), "encounter": _encounter_ref(v["encounter"]),
        "effectiveDateTime": v["date"], "issued": v["date"], **value,
    })


BUILDERS = {"patients": _patient, "encounters": _encounter, "conditions": _condition, "medications": _medication,
            "observations": _observation}

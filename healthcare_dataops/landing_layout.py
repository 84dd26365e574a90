"""The layout of the landing zone: where each source system drops its files.

The generator writes this layout and the bronze assets read it; both import it from here so
the two cannot drift apart. Every source delivers into a folder per delivery day, which is
also the daily partition key of the bronze assets.

    <root>/ehr/<YYYY-MM-DD>/{patients,encounters,conditions,medications,observations}.csv
    <root>/labs/<YYYY-MM-DD>/<lab_code>_<YYYYMMDD>.hl7           one file per lab per day
    <root>/wearables/<YYYY-MM-DD>/<vendor>_<YYYYMMDD>.jsonl       Open mHealth, a data point a line
    <root>/wearables/<YYYY-MM-DD>/*.json                          Open mHealth documents
    <root>/wearables/<YYYY-MM-DD>/*.xml                           Apple Health export.xml
    <root>/wearables/<YYYY-MM-DD>/device_enrollment.csv           devices enrolled that day
    <root>/fhir/<YYYY-MM-DD>/<ResourceType>.<n>.ndjson            FHIR R4 Bulk Data, a resource a line
    <root>/fhir/<YYYY-MM-DD>/*.json                               FHIR bundles (and the export's manifest)
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import PurePosixPath

EHR = "ehr"
LABS = "labs"
WEARABLES = "wearables"
# The EHR's FHIR R4 export: the same clinical records as ``ehr``, in another format.
FHIR = "fhir"
SOURCES = (EHR, LABS, WEARABLES, FHIR)

EHR_TABLES = ("patients", "encounters", "conditions", "medications", "observations")
ENROLLMENT_FILE_NAME = "device_enrollment.csv"
HL7_SUFFIXES = (".hl7", ".txt")
OPENMHEALTH_LINE_SUFFIXES = (".jsonl", ".ndjson")
OPENMHEALTH_SUFFIXES = (*OPENMHEALTH_LINE_SUFFIXES, ".json")
APPLE_HEALTH_SUFFIXES = (".xml",)
FHIR_LINE_SUFFIXES = (".ndjson", ".jsonl")
FHIR_DOCUMENT_SUFFIXES = (".json",)

_DAY_FOLDER = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def day_folder(source: str, day: dt.date | str) -> str:
    """Relative folder of one source's deliveries for one day, e.g. ``labs/2026-01-05``."""
    if source not in SOURCES:
        raise ValueError(f"unknown source {source!r}; expected one of {SOURCES}")
    return f"{source}/{_as_day(day)}"


def lab_file_name(lab_code: str, day: dt.date | str) -> str:
    return f"{lab_code}_{_as_day(day).replace('-', '')}.hl7"


def wearable_file_name(vendor: str, day: dt.date | str) -> str:
    return f"{vendor}_{_as_day(day).replace('-', '')}.jsonl"


def fhir_file_name(resource_type: str, day: dt.date | str, number: int = 0) -> str:
    """Bulk Data's naming, one file (or several) per resource type: ``Patient.000.ndjson``."""
    _as_day(day)
    return f"{resource_type}.{number:03d}.ndjson"


def is_day_folder(name: str) -> bool:
    return bool(_DAY_FOLDER.match(name))


def delivery_day_of(relative_path: str) -> str:
    """The delivery day of a landing file from its path, e.g. ``labs/2026-01-05/x.hl7``."""
    parts = PurePosixPath(relative_path).parts
    if len(parts) < 3 or parts[0] not in SOURCES or not is_day_folder(parts[1]):
        raise ValueError(
            f"{relative_path!r} is not in the landing layout <source>/<YYYY-MM-DD>/<file>"
        )
    return parts[1]


def _as_day(day: dt.date | str) -> str:
    text = day.isoformat() if isinstance(day, dt.date) else str(day)
    dt.date.fromisoformat(text)  # raises on anything that is not a calendar day
    return text

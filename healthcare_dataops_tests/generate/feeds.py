"""Small readers for the delivered files, independent of the generator's own code."""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
from pathlib import Path


def read_csv(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with open(path, newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        return list(reader.fieldnames or []), list(reader)


def ehr_rows(landing: Path, table: str) -> list[dict[str, str]]:
    rows = []
    for path in sorted((landing / "ehr").glob(f"*/{table}.csv")):
        rows += read_csv(path)[1]
    return rows


def hl7_messages(path: Path) -> list[list[str]]:
    """Messages as lists of segments: a message starts at MSH, segments end at CR or LF."""
    messages: list[list[str]] = []
    for segment in re.split(r"[\r\n]+", path.read_bytes().decode("utf-8")):
        if segment.startswith("MSH|") or not messages:
            messages.append([])
        if segment:
            messages[-1].append(segment)
    return [m for m in messages if m]


def hl7_ts(text: str) -> dt.datetime:
    return dt.datetime.strptime(text, "%Y%m%d%H%M%S%z")


def lab_results(landing: Path) -> list[dict]:
    """Every OBX with its patient: (mrn, loinc, value, units, observed)."""
    results = []
    for path in sorted((landing / "labs").glob("*/*.hl7")):
        for message in hl7_messages(path):
            pid = next(s for s in message if s.startswith("PID|")).split("|")
            for segment in message:
                if segment.startswith("OBX|"):
                    f = segment.split("|")
                    results.append({"mrn": pid[3].split("^")[0], "loinc": f[3].split("^")[0], "value": float(f[5]),
                                    "units": f[6].split("^")[0], "observed": hl7_ts(f[14]), "flag": f[8],
                                    "range": f[7], "lab": path.name.split("_")[0], "day": path.parent.name})
    return results


def data_points(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as handle:
        return [json.loads(line) for line in handle]


def iso(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))

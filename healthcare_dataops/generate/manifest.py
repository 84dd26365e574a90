"""Side files that are not part of the feeds: the manifest, the readmission truth and the
risk inputs. Each covers every day generated with its side directory: a later run merges
into what an earlier one wrote (same population only), and all are written atomically."""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path

from .risk import RiskInputs

MANIFEST = "manifest.json"
TRUTH = "readmission_truth.csv"
RISK_INPUTS = "readmission_risk_inputs.csv"
# cohort_exclusion: why a discharge is not an index admission of the readmission measure
# (death, transfer, against_medical_advice), empty for an index admission. Deaths and
# transfers have no probability or label: no readmission follows them.
TRUTH_COLUMNS = (
    "encounter_id", "patient_id", "admission_start", "discharge_time", "true_probability", "readmitted_30d",
    "cohort_exclusion",
)
INPUT_COLUMNS = ("encounter_id", *RiskInputs.__dataclass_fields__, "comorbidity_count")


def write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.part")
    tmp.write_text(text, encoding="utf-8", newline="")
    os.replace(tmp, path)


def load_previous(side: Path, population: dict) -> dict | None:
    """The manifest an earlier run left, if it describes the same population."""
    path = side / MANIFEST
    if not path.exists():
        return None
    try:
        previous = json.loads(path.read_text(encoding="utf-8"))
    except ValueError:
        return None
    return previous if previous.get("population") == population else None


def merge_csv(path: Path, columns: tuple[str, ...], rows: list[dict], keep_old: bool, sort_key) -> list[dict]:
    merged: dict[str, dict] = {}
    if keep_old and path.exists():
        with open(path, newline="", encoding="utf-8") as handle:
            merged = {row["encounter_id"]: row for row in csv.DictReader(handle)}
    for row in rows:
        merged[row["encounter_id"]] = {c: "" if row.get(c) is None else str(row[c]) for c in columns}
    ordered = sorted(merged.values(), key=sort_key)
    lines = [",".join(columns)] + [",".join(row[c] for c in columns) for row in ordered]
    write_atomic(path, "\n".join(lines) + "\n")
    return ordered


def write_side_files(side: Path, manifest: dict, previous: dict | None, truth: list[dict],
                     inputs: list[dict]) -> dict:
    keep = previous is not None
    by_time = lambda row: (row["discharge_time"], row["encounter_id"])  # noqa: E731
    all_truth = merge_csv(side / TRUTH, TRUTH_COLUMNS, truth, keep, by_time)
    order = {row["encounter_id"]: k for k, row in enumerate(all_truth)}
    merge_csv(side / RISK_INPUTS, INPUT_COLUMNS, inputs, keep, lambda row: order.get(row["encounter_id"], -1))
    if keep:
        manifest = merge_manifests(previous, manifest)
    labels = [int(row["readmitted_30d"]) for row in all_truth if not row["cohort_exclusion"]]
    excluded: dict[str, int] = {}
    for row in all_truth:
        if row["cohort_exclusion"]:
            excluded[row["cohort_exclusion"]] = excluded.get(row["cohort_exclusion"], 0) + 1
    manifest["truth"] = {
        "file": TRUTH, "risk_inputs_file": RISK_INPUTS, "index_admissions": len(labels),
        "not_index_admissions": dict(sorted(excluded.items())),
        "readmitted_30d": sum(labels), "prevalence": round(sum(labels) / len(labels), 4) if labels else None,
    }
    manifest["expected"]["tables"] = table_totals(manifest["expected"]["files"])
    write_atomic(side / MANIFEST, json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    return manifest


def merge_manifests(previous: dict, current: dict) -> dict:
    """Files this run wrote replace their old entries (and the faults recorded in them)."""
    rewritten = set(current["expected"]["files"])
    files = {p: v for p, v in previous["expected"]["files"].items() if p not in rewritten}
    files.update(current["expected"]["files"])
    faults = [f for f in previous.get("faults", []) if f["file"] not in rewritten] + current["faults"]
    runs = [r for r in previous.get("runs", []) if r != current["options"]] + [current["options"]]
    drift = {json.dumps(d, sort_keys=True): d for d in previous.get("drift", []) + current["drift"]}
    merged = dict(current)
    merged.update(
        runs=runs, days=sorted(set(previous.get("days", [])) | set(current["days"])),
        drift=[drift[k] for k in sorted(drift)], faults=sorted(faults, key=fault_key),
        expected={"files": dict(sorted(files.items())), "tables": {}},
    )
    return merged


def fault_key(fault: dict) -> tuple:
    return fault["file"], json.dumps(fault["position"], sort_keys=True), fault["kind"]


def table_totals(files: dict[str, dict]) -> dict[str, dict[str, int]]:
    totals: dict[str, dict[str, int]] = {}
    for entry in files.values():
        t = totals.setdefault(entry["table"], {"files": 0, "rows": 0, "quarantined": 0})
        t["files"] += 1
        t["rows"] += entry["rows"]
        t["quarantined"] += entry["quarantined"]
    return dict(sorted(totals.items()))

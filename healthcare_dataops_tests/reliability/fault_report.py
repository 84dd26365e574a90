"""Per injected fault: what caught it, whether every record is accounted for, and whether
the layers after it were kept from the bad record. Read from a materialized lakehouse, the
manifest's fault entries, and the materializations and check results of the runs.

A fault is *detected* when a quarantine reason, a check, or bronze's delivery metadata names
it; *accounted* when the records of its files in bronze (rows + quarantined) are what the
manifest says the files hold and every conservation check passed; *protected* when the bad
record is in no silver table, or reached it corrected. Where a fault cannot be detected the
row says so.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from deltalake import DeltaTable

from healthcare_dataops.transforms.wearables import (
    MEASURED_AFTER_CREATION,
    MEASURED_AFTER_DELIVERY,
)

UNKNOWN_PATIENT = "patient not in silver patients (missing, or quarantined upstream)"
NOT_ENROLLED = "device not enrolled to a patient"
# manifest table → (bronze table, bronze quarantine, silver table)
TABLES = {
    "lab_results": ("lab_results_raw", "lab_bronze_quarantine", "lab_results"),
    "wearable_readings": ("wearable_readings_raw", "wearable_bronze_quarantine", "wearable_readings"),
    "device_enrollment": ("wearable_enrollments_raw", "wearable_bronze_quarantine", "device_enrollments"),
    **{t: (f"ehr_{t}", "ehr_bronze_quarantine", t)
       for t in ("patients", "encounters", "conditions", "medications", "observations")},
}
CLOCK_NOTE = ("a clock hours *behind* cannot be told from a reading synced late: "
              "such readings land in silver at the wrong hour, undetected")


@dataclass
class FaultRow:
    kind: str
    layer: str
    detected_by: str
    accounted: str
    lost: int
    protected: str
    ok: bool
    note: str = ""


@dataclass
class RunFacts:
    """What the Dagster runs said: per (asset, day) metadata, and every check's outcome."""

    metadata: dict[tuple[str, str], dict]
    checks: dict[tuple[str, str], bool]

    @classmethod
    def of(cls, *results) -> RunFacts:
        metadata, checks = {}, {}
        for result in results:
            for event in result.get_asset_materialization_events():
                m = event.materialization
                key = (m.asset_key.to_user_string(), m.partition or "")
                metadata.setdefault(key, {}).update({k: v.value for k, v in m.metadata.items()})
            for evaluation in result.get_asset_check_evaluations():
                key = (evaluation.asset_key.to_user_string(), evaluation.check_name)
                checks[key] = checks.get(key, True) and evaluation.passed
        return cls(metadata, checks)

    def failed_conservation(self) -> list[str]:
        return sorted(a for (a, name), passed in self.checks.items() if name == "conservation" and not passed)


class Lakehouse:
    def __init__(self, root: Path):
        self.root, self._cache = Path(root), {}

    def rows(self, layer: str, table: str) -> list[dict]:
        if (layer, table) not in self._cache:
            path = self.root / layer / table
            self._cache[layer, table] = DeltaTable(str(path)).to_pyarrow_table().to_pylist() if path.exists() else []
        return self._cache[layer, table]

    def sha_of(self, table: str, file: str) -> str | None:
        bronze, quarantine, _ = TABLES[table]
        for name in (bronze, quarantine):
            found = next((r["source_file_sha256"] for r in self.rows("bronze", name) if r["source_file"] == file), None)
            if found:
                return found
        return None

    def bronze_counts(self, table: str, file: str) -> tuple[int, int]:
        bronze, quarantine, _ = TABLES[table]
        rows = sum(r["source_file"] == file for r in self.rows("bronze", bronze))
        held = sum(r["source_file"] == file and r["source_table"] == bronze for r in self.rows("bronze", quarantine))
        return rows, held

    def silver_at(self, table: str, sha: str, positions: set[str]) -> tuple[list[dict], list[dict]]:
        """Rows of the silver table and of its quarantine at these positions of a file."""
        silver = TABLES[table][2]
        pick = lambda rows: [r for r in rows if r["source_file_sha256"] == sha and r["source_position"] in positions]  # noqa: E731
        return pick(self.rows("silver", silver)), pick(self.rows("silver", f"{silver}_quarantine"))


def report(manifest: dict, lakehouse: Path, facts: RunFacts, extra: dict | None = None) -> list[FaultRow]:
    """One row per fault entry of the manifest; ``extra`` carries what only a test's own runs
    can tell (e.g. how many rows an out-of-order day quarantined before its predecessor came)."""
    lake = Lakehouse(lakehouse)
    failed = facts.failed_conservation()
    rows = []
    for fault in manifest["faults"]:
        row = _judge(fault, manifest, lake, facts, extra or {})
        if failed:
            row.ok, row.accounted = False, f"{row.accounted}; conservation FAILED for {', '.join(failed)}"
        rows.append(row)
    return rows


def _accounted(fault: dict, manifest: dict, lake: Lakehouse, files: list[str]) -> tuple[str, int]:
    lost, parts = 0, []
    for file in files:
        entry = manifest["expected"]["files"].get(file)
        if entry is None:
            continue
        rows, held = lake.bronze_counts(entry["table"], file)
        lost += (entry["rows"] + entry["quarantined"]) - (rows + held)
        parts.append(f"{rows}+{held}q of {entry['rows'] + entry['quarantined']}")
    text = "; ".join(parts) if len(parts) <= 2 else f"{len(parts)} files, bronze = manifest"
    return f"bronze {text}" if parts else "no records", lost


def _positions(fault: dict) -> set[str]:
    """Where silver's lineage says the fault's records sit: CSV rows by line, data points by record."""
    p = fault["position"]
    if "message" in p:
        return {f"message {p['message']}, segment {p['segment']}"}
    unit = "line" if fault["file"].endswith(".csv") else "record"
    return {f"{unit} {p['line'] + k}" for k in range(p.get("lines", 1))}


def _judge(fault: dict, manifest: dict, lake: Lakehouse, facts: RunFacts, extra: dict) -> FaultRow:
    kind, layer, table, file = fault["kind"], fault["layer"], fault["table"], fault["file"]
    files = [file] + list(fault.get("copies", {})) + list(fault.get("ehr_rows_removed", {}))
    accounted, lost = _accounted(fault, manifest, lake, files)
    day = file.split("/")[1] if file.count("/") >= 2 else ""
    row = FaultRow(kind, layer, "", accounted, lost, "", False)

    if layer == "bronze":
        bronze, quarantine, _ = TABLES[table]
        reasons = Counter(r["reason"] for r in lake.rows("bronze", quarantine) if r["source_file"] == file)
        row.detected_by = f"{quarantine}: " + "; ".join(f"{r} ({n})" for r, n in reasons.most_common(2))
        row.protected = "quarantined in bronze: never read by silver"
        row.ok = bool(reasons)
    elif kind in ("empty_csv_file", "empty_hl7_file", "empty_jsonl_file"):
        bronze = TABLES[table][0]
        notes = facts.metadata.get((bronze, day), {})
        # Wearable file names stay out of metadata (an Apple Health export is named by serial).
        listed = file in (notes.get("empty_files") or [file])
        row.detected_by = f"{bronze} metadata files_empty={notes.get('files_empty')} on {day}"
        row.protected = "no record to protect; the run went on"
        row.ok = listed and (notes.get("files_empty") or 0) >= 1 and lake.bronze_counts(table, file) == (0, 0)
    elif kind == "utf16_file":
        bronze, _, silver_table = TABLES[table]
        decoded = (facts.metadata.get((bronze, day), {}).get("decoded_files") or {}).get(file)
        sha = lake.sha_of(table, file)
        in_silver = sum(r["source_file_sha256"] == sha for r in lake.rows("silver", silver_table))
        row.detected_by = f"{bronze} metadata decoded_files: {decoded}"
        row.protected = f"decoded, not quarantined: {in_silver} rows of the file in silver"
        row.ok = decoded == fault["encoding"] and in_silver > 0
    elif kind == "duplicated_day":
        last = fault["position"]["day_folder"]
        skipped = sum(m.get("files_skipped_as_redelivered", 0) for (_, d), m in facts.metadata.items() if d == last)
        brought = sum(sum(lake.bronze_counts(manifest["expected"]["files"][c]["table"], c)) for c in fault["copies"])
        # A copy of a file that held no record brings nothing either way and is not "skipped".
        with_records = sum(any(lake.bronze_counts(t, o)) for c, o in fault["copies"].items()
                           for t in [manifest["expected"]["files"][o]["table"]])
        row.detected_by = (f"bronze metadata files_skipped_as_redelivered={skipped} on {last} "
                           f"({with_records} copies of files with records)")
        row.protected = f"copies brought {brought} bronze records, so nothing twice in silver"
        row.ok = brought == 0 and skipped >= with_records
    elif kind == "out_of_order_days":
        early = extra.get("out_of_order", {})
        row.detected_by = (f"{early.get('unknown_patient_rows', '?')} rows of {fault['early_day']} quarantined as "
                           f"'{UNKNOWN_PATIENT}' or '{NOT_ENROLLED}' while {fault['late_day']} was missing")
        row.protected = (f"no orphan row in silver; after {fault['early_day']} was re-run, "
                         f"{early.get('still_quarantined', '?')} of them still quarantined")
        row.ok = early.get("orphans_in_silver") == 0 and early.get("still_quarantined") == 0
        row.note = "recovery needs the later day re-run after the earlier one arrives"
    elif kind == "lab_unit_change":
        sha = lake.sha_of(table, file)
        got = sorted((r["value_as_delivered"], r["value"]) for r in lake.rows("silver", "lab_results")
                     if r["source_file_sha256"] == sha and r["unit_as_delivered"] == "mmol/L"
                     and r["analyte"] == "glucose")
        want = sorted((c["mmol_l"], c["mg_dl"]) for c in fault["converted"])
        close = len(got) == len(want) and all(a == c and abs(b - d) <= 0.05 * 18.016 + 1e-9
                                              for (a, b), (c, d) in zip(got, want, strict=True))
        row.detected_by = "visible in silver: unit_as_delivered mmol/L beside the lab's mg/dL results"
        row.protected = f"converted to mg/dL, not quarantined: {len(got)} of {len(want)} within rounding"
        row.ok = close
    elif kind == "patient_deleted":
        row.detected_by, row.protected, row.ok = _deleted_patient(fault, lake)
    elif kind in ("future_timestamp", "wearable_clock_ahead"):
        sha = lake.sha_of(table, file)
        silver, held = lake.silver_at(table, sha, _positions(fault))
        reasons = Counter(r["reason"] for r in held)
        row.detected_by = "wearable_readings_quarantine: " + "; ".join(f"{r} ({n})" for r, n in reasons.most_common())
        row.protected = f"{len(silver)} of {len(_positions(fault))} readings in silver"
        row.ok = (not silver and set(reasons) <= {MEASURED_AFTER_DELIVERY, MEASURED_AFTER_CREATION}
                  and len(held) == len(_positions(fault)))
        row.note = CLOCK_NOTE if kind == "wearable_clock_ahead" else ""
    else:
        row.detected_by, row.protected, row.ok = _silver_fault(fault, lake)
    row.ok = row.ok and row.lost == 0
    return row


def _deleted_patient(fault: dict, lake: Lakehouse) -> tuple[str, str, bool]:
    enrollment_sha = lake.sha_of("device_enrollment", fault["file"])
    _, held = lake.silver_at("device_enrollment", enrollment_sha, _positions(fault))
    device_rows = [(r["source_file_sha256"], f"record {r['source_record']}")
                   for r in lake.rows("bronze", "wearable_readings_raw") if r["device_id"] == fault["device_id"]]
    keys = set(device_rows)
    in_silver = sum((r["source_file_sha256"], r["source_position"]) in keys
                    for r in lake.rows("silver", "wearable_readings"))
    quarantined = Counter(r["reason"] for r in lake.rows("silver", "wearable_readings_quarantine")
                          if (r["source_file_sha256"], r["source_position"]) in keys)
    detected = (f"device_enrollments_quarantine: {held[0]['reason'] if held else 'nothing'}; "
                f"wearable_readings_quarantine: {NOT_ENROLLED} ({quarantined[NOT_ENROLLED]} of {len(keys)})")
    protected = f"{in_silver} of the device's {len(keys)} readings in silver"
    ok = (bool(held) and held[0]["reason"] == UNKNOWN_PATIENT and in_silver == 0
          and sum(quarantined.values()) == len(keys))
    return detected, protected, ok


def _silver_fault(fault: dict, lake: Lakehouse) -> tuple[str, str, bool]:
    kind, table, file = fault["kind"], fault["table"], fault["file"]
    sha = lake.sha_of(table, file)
    if kind == "duplicate_redelivery":
        source = fault["copied_from"]["file"]
        bronze_rows, _ = lake.bronze_counts(table, source)
        source_sha = lake.sha_of(table, source)
        silver = TABLES[table][2]
        kept = sum(r["source_file_sha256"] == source_sha for r in lake.rows("silver", silver))
        held = sum(r["source_file_sha256"] == source_sha for r in lake.rows("silver", f"{silver}_quarantine"))
        superseded = bronze_rows - kept - held
        return (f"MERGE by natural key: {superseded} rows of {source} removed as duplicates",
                "one row per result in silver (newest delivery wins)", superseded > 0)
    if kind == "late_arrival":
        silver, held = lake.silver_at(table, sha, _positions(fault))
        return ("handled, not an error: late readings MERGEd on the day they were measured",
                f"{len(silver)} of {len(_positions(fault))} in silver",
                len(silver) + len(held) == len(_positions(fault)))
    silver, held = lake.silver_at(table, sha, _positions(fault))
    quarantine = f"{TABLES[table][2]}_quarantine"
    return (f"{quarantine}: " + "; ".join(sorted({r['reason'] for r in held})),
            f"{len(silver)} in silver", bool(held) and not silver)


def markdown(rows: list[FaultRow]) -> str:
    header = ("| fault | layer | detected by | rows accounted (bronze rows+quarantined of expected) | lost | "
              "downstream protected | ok | note |")
    lines = [header, "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        cells = [r.kind, r.layer, r.detected_by, r.accounted, str(r.lost), r.protected, "yes" if r.ok else "NO", r.note]
        lines.append("| " + " | ".join(c.replace("|", "/") for c in cells) + " |")
    return "\n".join(lines) + "\n"

"""The whole lakehouse graph (bronze to gold, with every check) over feeds carrying every
fault the generator can inject, with days arriving as the manifest says they arrived; then,
per fault: detected by what, every record accounted for, downstream protected.

Days arrive out of order (the third before the second), so the graph runs three times: the
first day, the third day alone (what a sensor would run when it arrives), then the second
to the last day together, which also re-runs the third day now that the second is there.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from deltalake import DeltaTable

from healthcare_dataops.cli import main
from healthcare_dataops.generate.faults import parse_faults
from healthcare_dataops_tests.reliability import fault_report

from ..artifacts import artifact_folder
from ..dagster_helpers import lakehouse_assets, materialize_days

pytestmark = pytest.mark.slow
FIRST_DAY = "2026-01-01"
LATE_REASONS = {fault_report.UNKNOWN_PATIENT, fault_report.NOT_ENROLLED}


def _late_rows(lakehouse: Path, day: str) -> set[tuple]:
    """Silver-quarantined rows of ``day`` whose patient or device was not known yet."""
    found = set()
    for folder in (lakehouse / "silver").glob("*_quarantine"):
        for r in DeltaTable(str(folder)).to_pyarrow_table().to_pylist():
            if r["delivery_date"].isoformat() == day and r["reason"] in LATE_REASONS:
                found.add((folder.name, r["source_file_sha256"], r["source_position"], r["reason"]))
    return found


@pytest.fixture(scope="module")
def suite(tmp_path_factory):
    root = tmp_path_factory.mktemp("faults")
    landing, lakehouse = root / "landing", root / "lakehouse"
    assert main(["generate", "--landing", str(landing), "--side", str(root / "side"), "--patients", "60",
                 "--days", "4", "--start-date", FIRST_DAY, "--faults", "all", "--quiet"]) == 0
    manifest = json.loads((root / "side" / "manifest.json").read_text())
    order = next(f for f in manifest["faults"] if f["kind"] == "out_of_order_days")
    first, early, *rest = order["arrival_order"]
    assets, started = lakehouse_assets(), time.perf_counter()
    runs = [materialize_days(assets, first, first, landing=landing, lakehouse=lakehouse)]
    # The third day arrives before the second: run it alone, as its arrival would.
    runs.append(materialize_days(assets, early, early, landing=landing, lakehouse=lakehouse))
    late_before = _late_rows(lakehouse, early)
    runs.append(materialize_days(assets, min(rest), max(rest), landing=landing, lakehouse=lakehouse))
    late_after = _late_rows(lakehouse, early)
    seconds = time.perf_counter() - started
    # The rows the missing day explained are the ones a re-run freed; what stays has another cause.
    recovered = late_before - late_after
    extra = {"out_of_order": {"unknown_patient_rows": len(recovered),
                              "still_quarantined": len(recovered & late_after), "orphans_in_silver": 0}}
    rows = fault_report.report(manifest, lakehouse, fault_report.RunFacts.of(*runs), extra)
    table = fault_report.markdown(rows)
    out = artifact_folder("reliability") / "fault_report.md"
    out.write_text(f"# Fault suite: {len(rows)} faults, 3 runs, {seconds:.0f} s of Dagster runs\n\n{table}")
    print(out.read_text())
    return runs, manifest, rows


def test_every_run_succeeds_and_every_kind_is_in_the_report(suite):
    runs, manifest, rows = suite
    assert all(r.success for r in runs)
    assert manifest["skipped_faults"] == []
    # Every kind a CSV export can carry; the FHIR export's are planted by test_fhir_to_silver.
    assert {r.kind for r in rows} == set(parse_faults("all", fhir=False))


def test_every_fault_is_detected_accounted_for_and_kept_from_downstream(suite):
    _, _, rows = suite
    failing = [(r.kind, r.detected_by, r.accounted, r.protected) for r in rows if not r.ok]
    assert not failing


def test_zero_records_lost(suite):
    _, _, rows = suite
    assert sum(r.lost for r in rows) == 0


def test_every_conservation_check_passed_in_every_run(suite):
    runs, _, _ = suite
    facts = fault_report.RunFacts.of(*runs)
    conservation = [k for k in facts.checks if k[1] == "conservation"]
    assert len(conservation) == 8  # every silver table but wearable_vitals (an aggregate)
    assert facts.failed_conservation() == []

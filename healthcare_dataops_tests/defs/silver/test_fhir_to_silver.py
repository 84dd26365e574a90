"""The EHR's FHIR export through Dagster: real samples into the silver tables, every row
accounted for per feed; a FHIR-only hospital's features equal to the same patients' from CSV;
and an incremental re-export that updates a resource, deletes one, and brings a stale copy."""

from __future__ import annotations

import json
import shutil

import pandas as pd
import pyarrow.compute as pc
import pytest

from healthcare_dataops.cli import main as cli
from healthcare_dataops.privacy import DEVELOPMENT_KEY, pseudonym_of, zip3_of
from healthcare_dataops_tests.dagster_helpers import (
    deliver,
    lakehouse_assets,
    materialize_days,
    metadata_by_partition,
    read_table,
)

DAY, NEXT_DAY = "2026-01-01", "2026-01-02"
KEY = DEVELOPMENT_KEY.encode()
# The patient the US Core examples point at, as the hospital's own export would list it.
EXAMPLE_PATIENT = {
    "resourceType": "Patient", "id": "example", "gender": "female", "birthDate": "1987-02-20",
    "identifier": [{"type": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0203", "code": "MR"}]},
                    "system": "http://hospital.smarthealthit.org", "value": "1032702"}],
    "name": [{"family": "Shaw", "given": ["Amy"]}], "address": [{"state": "MA", "postalCode": "01002"}],
}
SILVER_FROM_FHIR = ("patients", "encounters", "conditions", "medications", "observations", "lab_results",
                    "device_enrollments")


def fhir_assets() -> list:
    """FHIR's bronze and the silver tables it feeds, with their checks: what the FHIR tests read."""
    from healthcare_dataops.definitions import defs

    wanted = {"fhir_resources", *SILVER_FROM_FHIR}
    assets = [a for a in defs.assets if {k.to_user_string() for k in a.keys} & wanted]
    return [*assets, *(c for c in defs.asset_checks if {k.asset_key.to_user_string() for k in c.check_keys} & wanted)]


def _failed_checks(result) -> list[str]:
    return [f"{c.asset_key.to_user_string()} {c.check_name}" for c in result.get_asset_check_evaluations()
            if not c.passed and c.check_name != "quality_warnings"]


def test_real_fhir_samples_reach_silver_with_every_row_accounted_for_per_feed(samples_dir, tmp_path):
    landing, lakehouse = tmp_path / "landing", tmp_path / "lakehouse"
    deliver(sorted((samples_dir / "fhir_r4_ndjson").glob("*.ndjson")), landing, "fhir", DAY)
    deliver(sorted((samples_dir / "fhir_examples").rglob("*.json")), landing, "fhir", DAY)
    (landing / "fhir" / DAY / "Patient.001.ndjson").write_text(json.dumps(EXAMPLE_PATIENT) + "\n")

    result = materialize_days(fhir_assets(), DAY, DAY, landing=landing, lakehouse=lakehouse)

    assert result.success and _failed_checks(result) == []
    # From the files: 13 + 1 Patient lines, the bundle's Patient; 1215 Encounter and 555 Condition
    # lines; 16 Devices, each naming its patient; no MedicationRequest. The bundle's second
    # entry (an Encounter set where its resource belongs) is quarantined in bronze.
    silver = {t: read_table(lakehouse, "silver", t).num_rows for t in SILVER_FROM_FHIR}
    assert silver == {"patients": 15, "encounters": 1215, "conditions": 555, "medications": 0,
                      "observations": 4, "lab_results": 5, "device_enrollments": 16}
    bronze = read_table(lakehouse, "bronze", "fhir_resources")
    assert bronze.num_rows == 14 + 1 + 1215 + 555 + 16 + 161 + 11 + 9
    assert read_table(lakehouse, "bronze", "fhir_bronze_quarantine")["source_position"].to_pylist() == [
        "record 1, entry 2"]
    for table in SILVER_FROM_FHIR:
        [recorded] = metadata_by_partition(result, table).values()
        outcomes = recorded["outcomes_by_feed"].get("fhir_resources")
        quarantined = read_table(lakehouse, "silver", f"{table}_quarantine")
        from_fhir = pc.sum(pc.equal(quarantined["source_table"], "fhir_resources")).as_py() or 0
        rows_in = outcomes["rows_in"] if outcomes else 0
        written = outcomes["written"] if outcomes else 0
        assert rows_in == written + from_fhir + (outcomes or {}).get("duplicates", 0), table
    labs = {r["analyte"]: r for r in read_table(lakehouse, "silver", "lab_results").to_pylist()}
    assert set(labs) == {"hemoglobin", "wbc", "creatinine", "glucose", "potassium"}
    assert labs["hemoglobin"]["value"] == 17 and labs["hemoglobin"]["reference_low"] == 16.5
    assert labs["hemoglobin"]["abnormal_flag"] == "N" and labs["hemoglobin"]["result_status"] == "F"
    assert labs["hemoglobin"]["patient_id"] == pseudonym_of("1032702", KEY, "patient")
    observations = read_table(lakehouse, "silver", "observations").to_pylist()
    # The converter's glucose has no category: an in-house result, kept in its own unit.
    assert {(o["loinc_code"], o["unit"]) for o in observations} >= {("15074-8", "mmol/L"), ("8867-4", "/min")}
    patients = {r["patient_id"]: r for r in read_table(lakehouse, "silver", "patients").to_pylist()}
    # Keyed by the MRN identifier: the Synthea patient's MRN is its id, the bundle's is 12345.
    synthea = patients[pseudonym_of("129c6ac7-8d06-89de-ad63-0204a93e76c3", KEY, "patient")]
    assert (synthea["sex"], synthea["race"], synthea["ethnicity"], synthea["is_deceased"]) == ("F", "white",
                                                                                               "nonhispanic", True)
    assert pseudonym_of("12345", KEY, "patient") in patients


FHIR_FAULTS = ("fhir_invalid_resource", "fhir_unknown_resource_type", "fhir_dangling_reference",
               "fhir_stale_duplicate")


@pytest.fixture(scope="module")
def fhir_only(tmp_path_factory):
    """The small lakehouse's hospital (50 patients, one day), its EHR delivering FHIR only,
    with every FHIR fault (none of them touches what the features read)."""
    root = tmp_path_factory.mktemp("fhir-only")
    cli(["generate", "--landing", str(root / "landing"), "--side", str(root / "side"), "--patients", "50",
         "--days", "1", "--start-date", DAY, "--quiet", "--ehr-format", "fhir", "--faults", ",".join(FHIR_FAULTS)])
    result = materialize_days(lakehouse_assets(), DAY, DAY, landing=root / "landing", lakehouse=root / "lakehouse")
    assert result.success and _failed_checks(result) == []
    return root, result


def _features(lakehouse) -> pd.DataFrame:
    frame = read_table(lakehouse, "gold", "patient_features").to_pandas()
    return frame.sort_values("encounter_id").reset_index(drop=True)


def test_fhir_faults_are_caught_where_the_manifest_says(fhir_only):
    root, result = fhir_only
    faults = {f["kind"]: f for f in json.loads((root / "side" / "manifest.json").read_text())["faults"]}
    assert set(FHIR_FAULTS) <= set(faults)
    bronze = read_table(root / "lakehouse", "bronze", "fhir_bronze_quarantine").to_pylist()
    reasons = {(r["source_file"], r["source_position"]): r["reason"] for r in bronze}
    for kind, reason in (("fhir_invalid_resource", "not valid FHIR R4 Observation: effectiveDateTime: "),
                         ("fhir_unknown_resource_type", "unknown FHIR R4 resource type 'WearableReading'")):
        where = (faults[kind]["file"], f"record {faults[kind]['position']['line']}")
        assert reasons[where].startswith(reason), kind
    dangling = "subject is no Patient bronze holds (a dangling reference)"
    quarantined = [r["reason"] for t in ("observations", "lab_results")
                   for r in read_table(root / "lakehouse", "silver", f"{t}_quarantine").to_pylist()]
    assert quarantined.count(dangling) == 1
    encounters = metadata_by_partition(result, "encounters")[DAY]["outcomes_by_feed"]["fhir_resources"]
    assert encounters["duplicates"] >= 1  # the stale copy, older than the version silver keeps


def test_features_of_a_fhir_only_hospital_equal_those_of_its_csv_export(fhir_only, small_lakehouse):
    fhir_only, _ = fhir_only
    assert not (fhir_only / "landing" / "ehr").exists()
    from_fhir, from_csv = _features(fhir_only / "lakehouse"), _features(small_lakehouse.lakehouse)
    # Every index admission has its label; stays the cohort leaves out have none.
    index = from_fhir["cohort_exclusion"].isna()
    assert len(from_csv) > 20 and index.sum() > 20 and from_fhir.loc[index, "readmitted_30d"].notna().all()
    pd.testing.assert_frame_equal(from_fhir, from_csv)
    rows = {t: (read_table(fhir_only / "lakehouse", "silver", t).num_rows,
                read_table(small_lakehouse.lakehouse, "silver", t).num_rows)
            for t in ("patients", "encounters", "conditions", "medications", "observations")}
    # The same rows, but the three Observations the FHIR faults broke.
    assert {t: fhir - csv for t, (fhir, csv) in rows.items()} in (
        {"patients": 0, "encounters": 0, "conditions": 0, "medications": 0, "observations": -lost} for lost in (2, 3))


def _resources(folder, kind: str) -> list[dict]:
    return [json.loads(line) for line in (folder / f"{kind}.000.ndjson").read_text().splitlines()]


def test_an_incremental_export_updates_deletes_and_keeps_the_newer_version(fhir_only, tmp_path):
    fhir_only, _ = fhir_only
    lakehouse = tmp_path / "lakehouse"
    shutil.copytree(fhir_only / "lakehouse", lakehouse)
    first = fhir_only / "landing" / "fhir" / DAY
    patient = _resources(first, "Patient")[0]
    deleted, stale = _resources(first, "Encounter")[:2]
    fhir_class = stale["class"]["code"]
    # A later _since export: the patient moved; an encounter deleted (the export's deleted
    # list, a Bundle a line); and a copy of another encounter older than the one silver has.
    patient["address"][0]["postalCode"] = "10001"
    patient["meta"]["lastUpdated"] = f"{NEXT_DAY}T20:00:00Z"
    stale["class"]["code"] = "HH" if stale["class"]["code"] != "HH" else "VR"
    stale["meta"]["lastUpdated"] = "2025-12-01T00:00:00Z"
    removal = {"resourceType": "Bundle", "type": "transaction", "timestamp": f"{NEXT_DAY}T20:00:00Z",
               "entry": [{"request": {"method": "DELETE", "url": f"Encounter/{deleted['id']}"}}]}
    landing = tmp_path / "landing" / "fhir" / NEXT_DAY
    landing.mkdir(parents=True)
    (landing / "Patient.000.ndjson").write_text(json.dumps(patient) + "\n")
    (landing / "Encounter.000.ndjson").write_text(json.dumps(stale) + "\n")
    (landing / "deleted_Encounter.000.ndjson").write_text(json.dumps(removal) + "\n")
    encounters_before = read_table(lakehouse, "silver", "encounters")

    result = materialize_days(fhir_assets(), NEXT_DAY, NEXT_DAY, landing=tmp_path / "landing", lakehouse=lakehouse)

    assert result.success and _failed_checks(result) == []
    patients = {r["patient_id"]: r for r in read_table(lakehouse, "silver", "patients").to_pylist()}
    moved = patients[pseudonym_of(patient["id"], KEY, "patient")]
    assert (moved["zip3"], moved["delivery_date"].isoformat()) == (zip3_of("10001"), NEXT_DAY)
    encounters = read_table(lakehouse, "silver", "encounters")
    ids = set(encounters["encounter_id"].to_pylist())
    assert pseudonym_of(deleted["id"], KEY, "encounter") not in ids
    assert encounters.num_rows == encounters_before.num_rows - 1
    kept = [r for r in encounters.to_pylist() if r["encounter_id"] == pseudonym_of(stale["id"], KEY, "encounter")]
    # The stale copy did not replace it.
    assert [(r["delivery_date"].isoformat(), r["encounter_class"]) for r in kept] == [
        (DAY, {"IMP": "inpatient", "EMER": "emergency", "AMB": "ambulatory"}[fhir_class])]
    recorded = metadata_by_partition(result, "encounters")[NEXT_DAY]
    assert (recorded["deletions"], recorded["rows_deleted"], recorded["duplicates_removed"]) == (1, 1, 1)
    assert recorded["outcomes_by_feed"]["fhir_resources"]["rows_in"] == 2

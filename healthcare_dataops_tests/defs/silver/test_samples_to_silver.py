"""The real sample files, as delivered, flow through bronze into silver (or its quarantine)."""

import pyarrow.compute as pc
import pytest

from healthcare_dataops_tests.dagster_helpers import (
    deliver,
    lakehouse_assets,
    materialize_days,
    metadata_by_partition,
    read_table,
)

EXPORT_DAY, SECOND_DAY = "2026-01-05", "2026-01-06"
# The HL7 samples' patients, as the hospital's own export would list them on a later day.
LAB_PATIENTS = (
    "Id,BIRTHDATE,DEATHDATE,SSN,FIRST,LAST,GENDER,ADDRESS,CITY,STATE,ZIP\n"
    "PATID1234,1961-06-15,,999-11-1234,William,Jones,M,1 Main St,Boston,Massachusetts,02115\n"
    "555-44-4444,1962-03-20,,999-22-4444,Eve,Everywoman,F,153 Fernwood Dr,Statesville,Ohio,35292\n"
)


def test_real_samples_reach_silver_with_every_row_accounted_for(samples_dir, tmp_path):
    landing, lakehouse = tmp_path / "landing", tmp_path / "lakehouse"
    deliver(sorted((samples_dir / "synthea_csv").glob("*.csv")), landing, "ehr", EXPORT_DAY)
    deliver(sorted((samples_dir / "hl7v2").glob("*.hl7")), landing, "labs", SECOND_DAY)
    deliver([samples_dir / "wearables" / "apple_health" / "export6s3sample.xml"], landing, "wearables", SECOND_DAY)
    deliver(sorted((samples_dir / "wearables" / "openmhealth").glob("*.json")), landing, "wearables", SECOND_DAY)
    (landing / "ehr" / SECOND_DAY).mkdir(parents=True)
    (landing / "ehr" / SECOND_DAY / "patients.csv").write_text(LAB_PATIENTS)
    synthea_patient = "3edac2e3-d223-6fae-d515-daf96ef6bc76"
    (landing / "wearables" / SECOND_DAY / "device_enrollment.csv").write_text(
        "DEVICE_ID,PATIENT_MRN,DEVICE_MODEL,ENROLLED_AT\n"
        f"export6s3sample,{synthea_patient},Apple Watch,2014-09-01T00:00:00Z\n"
    )

    result = materialize_days(lakehouse_assets(), EXPORT_DAY, SECOND_DAY, landing=landing, lakehouse=lakehouse)

    assert result.success
    for silver, bronze in {
        "patients": "ehr_patients", "encounters": "ehr_encounters", "conditions": "ehr_conditions",
        "medications": "ehr_medications", "observations": "ehr_observations",
        "lab_results": "lab_results_raw", "wearable_readings": "wearable_readings_raw",
    }.items():
        rows_in = read_table(lakehouse, "bronze", bronze).num_rows
        landed = read_table(lakehouse, "silver", silver).num_rows
        quarantined = read_table(lakehouse, "silver", f"{silver}_quarantine").num_rows
        duplicates = sum(m["duplicates_removed"] for m in metadata_by_partition(result, silver).values())
        assert rows_in == landed + quarantined + duplicates, silver
    assert read_table(lakehouse, "silver", "patients").num_rows == 27 + 2
    assert read_table(lakehouse, "silver", "encounters").num_rows == 604
    # The Synthea sample really does list one medication twice (same patient, encounter,
    # code and start): it is removed as a duplicate, and counted.
    medication_metadata = metadata_by_partition(result, "medications")
    assert sum(m["duplicates_removed"] for m in medication_metadata.values()) == 1

    labs = read_table(lakehouse, "silver", "lab_results")
    by_analyte = {(r["analyte"], r["unit"]): r for r in labs.to_pylist()}
    # NIST LRI: 105600 {cells}/uL is 105.6 10*3/uL; the GHH glucose (SN "^182", mg/dl) is 182 mg/dL.
    assert by_analyte[("wbc", "10*3/uL")]["value"] == pytest.approx(105.6)
    assert by_analyte[("glucose", "mg/dL")]["value"] == pytest.approx(182.0)
    reasons = set(read_table(lakehouse, "silver", "lab_results_quarantine")["reason"].to_pylist())
    # Hemoglobin "g/mL" is no unit a lab reports it in: kept aside, never guessed.
    assert "unit is not a known unit of the analyte" in reasons

    readings = read_table(lakehouse, "silver", "wearable_readings")
    assert readings.num_rows == 10  # the Apple Watch step counts of the enrolled device
    assert set(readings["measure"].to_pylist()) == {"steps"}
    reading_reasons = read_table(lakehouse, "silver", "wearable_readings_quarantine")["reason"].to_pylist()
    # Open mHealth bodies with no header name no device; walking distance is not a silver measure.
    assert reading_reasons.count("no device id") == 5
    assert reading_reasons.count("measure or unit not conformed in silver") == 5

    observations = read_table(lakehouse, "silver", "observations")
    assert pc.sum(pc.equal(observations["loinc_code"], "56799-0")).as_py() in (None, 0)

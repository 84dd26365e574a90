from healthcare_dataops.defs.bronze.labs import lab_bronze
from healthcare_dataops_tests.dagster_helpers import (
    deliver,
    materialize_days,
    metadata_of,
    read_table,
)

DAY = "2026-01-05"


def test_real_hl7_messages_land_one_row_per_obx(samples_dir, tmp_path):
    hl7_folder = samples_dir / "hl7v2"
    deliver(sorted(hl7_folder.iterdir()), tmp_path / "landing", "labs", DAY)

    result = materialize_days([lab_bronze], DAY, DAY, landing=tmp_path / "landing", lakehouse=tmp_path / "lakehouse")

    assert result.success
    rows = read_table(tmp_path / "lakehouse", "bronze", "lab_results_raw").to_pylist()
    quarantine = read_table(tmp_path / "lakehouse", "bronze", "lab_bronze_quarantine").to_pylist()
    metadata = metadata_of(result, "lab_results_raw")
    assert metadata["dagster/row_count"] == len(rows)
    assert metadata["records_delivered"] == len(rows) + metadata["rows_quarantined"]

    nist = [r for r in rows if r["source_file"].endswith("LRI_2.0-NG_CBC_Typ_Message.hl7")]
    assert nist and {r["patient_mrn"] for r in nist} == {"PATID1234"}
    erythrocytes = next(r for r in nist if r["observation_code"] == "26453-1")
    assert erythrocytes["observation_value"] == "4.41"
    assert erythrocytes["units_code"] == "10*6/uL"
    assert erythrocytes["reference_range"] == "4.3 to 6.2"
    assert (erythrocytes["source_message"], erythrocytes["source_segment"]) == (1, 5)
    # Files with a byte-order mark parse like the others.
    assert any(r["source_file"].endswith("LAB-ORU-1.hl7") for r in rows)

    reasons = {(q["source_file"].rsplit("/", 1)[-1], q["reason"]) for q in quarantine}
    # The ED segment without OBX-3 in a real message is kept, with its reason.
    assert any(name == "ORU-R01-01.hl7" and "OBX-3" in reason for name, reason in reasons)
    # A file that is not HL7 at all is kept whole rather than ignored.
    license_rows = [q for q in quarantine if q["source_file"].endswith("LICENSE.FHIR-Converter-MIT")]
    assert len(license_rows) == 1 and "MIT" in license_rows[0]["raw_text"]
    assert metadata_of(result, "lab_bronze_quarantine")["dagster/row_count"] == len(quarantine)

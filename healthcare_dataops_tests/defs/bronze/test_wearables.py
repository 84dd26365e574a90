from healthcare_dataops.defs.bronze.wearables import wearable_bronze
from healthcare_dataops_tests.dagster_helpers import (
    deliver,
    materialize_days,
    metadata_of,
    read_table,
)

DAY = "2026-01-05"


def test_real_open_mhealth_and_apple_health_files_land_in_bronze(samples_dir, tmp_path):
    wearables = samples_dir / "wearables"
    landing = tmp_path / "landing"
    deliver(sorted((wearables / "openmhealth").glob("*.json")), landing, "wearables", DAY)
    deliver([wearables / "apple_health" / "export6s3sample.xml"], landing, "wearables", DAY)
    (landing / "wearables" / DAY / "device_enrollment.csv").write_text(
        "DEVICE_ID,PATIENT_MRN,DEVICE_MODEL,ENROLLED_AT\n"
        "export6s3sample,3edac2e3-d223-6fae-d515-daf96ef6bc76,Apple Watch,2026-01-05T09:00:00Z\n"
    )

    result = materialize_days([wearable_bronze], DAY, DAY, landing=landing, lakehouse=tmp_path / "lakehouse")

    assert result.success
    readings = read_table(tmp_path / "lakehouse", "bronze", "wearable_readings_raw").to_pylist()
    by_format = {}
    for row in readings:
        by_format.setdefault(row["source_format"], []).append(row)
    assert len(by_format["openmhealth"]) == 5
    assert len(by_format["apple_health"]) == 15
    heart_rate = next(r for r in by_format["openmhealth"] if r["measure"] == "heart_rate")
    assert (heart_rate["value"], heart_rate["unit"]) == ("50.0", "beats/min")
    assert heart_rate["descriptive_statistic"] == "minimum"
    assert {r["device_id"] for r in by_format["apple_health"]} == {"export6s3sample"}
    assert metadata_of(result, "wearable_readings_raw")["rows_quarantined"] == 0

    enrollments = read_table(tmp_path / "lakehouse", "bronze", "wearable_enrollments_raw").to_pylist()
    assert [(e["device_id"], e["device_model"]) for e in enrollments] == [("export6s3sample", "Apple Watch")]
    # Device serials can sit in Apple Health file names: wearable metadata lists no file names.
    assert "files" not in metadata_of(result, "wearable_readings_raw")

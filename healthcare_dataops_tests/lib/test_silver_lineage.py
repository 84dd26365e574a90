"""Each silver table's declared column lineage names columns the tables really have.

Checked against the column tuples the code writes (the silver tables' ``columns``, the bronze
tables' schemas, built from ``EHR_COLUMNS`` and the other sources' column lists), so renaming
a column on either side without its lineage fails here.
"""

import dagster as dg
import pytest

from healthcare_dataops.defs.bronze.ehr import EHR_BRONZE_TABLES
from healthcare_dataops.defs.bronze.labs import LAB_RESULTS_RAW
from healthcare_dataops.defs.bronze.wearables import WEARABLE_ENROLLMENTS_RAW, WEARABLE_READINGS_RAW
from healthcare_dataops.defs.silver.ehr import EHR_SILVER_BUILDS
from healthcare_dataops.defs.silver.labs import LAB_SILVER_BUILD
from healthcare_dataops.defs.silver.wearables import DEVICE_ENROLLMENTS_BUILD, WEARABLE_READINGS_BUILD
from healthcare_dataops.formats.records import EHR_COLUMNS
from healthcare_dataops.lakehouse.metadata import column_lineage

BUILDS = [*EHR_SILVER_BUILDS, LAB_SILVER_BUILD, DEVICE_ENROLLMENTS_BUILD, WEARABLE_READINGS_BUILD]
BRONZE_COLUMNS = {
    table.name: set(table.schema.names)
    for table in [*EHR_BRONZE_TABLES.values(), LAB_RESULTS_RAW, WEARABLE_ENROLLMENTS_RAW, WEARABLE_READINGS_RAW]
}
SILVER_COLUMNS = {build.table.name: set(build.table.columns) for build in BUILDS}


def test_every_silver_table_of_the_three_sources_has_a_build_with_lineage():
    assert set(SILVER_COLUMNS) == {
        "patients", "encounters", "conditions", "medications", "observations", "lab_results",
        "device_enrollments", "wearable_readings",
    }


@pytest.mark.parametrize("build", BUILDS, ids=lambda build: build.table.name)
def test_lineage_covers_every_silver_column_from_columns_that_exist(build):
    assert build.bronze_table in BRONZE_COLUMNS
    # Every column of the silver table, and nothing it does not have.
    assert set(build.lineage) == SILVER_COLUMNS[build.table.name]
    for column, sources in build.lineage.items():
        assert sources, column
        for source in sources:
            if isinstance(source, tuple):
                table, name = source
                assert table in build.other_deps, (column, source)
                assert name in SILVER_COLUMNS[table], (column, source)
            else:
                assert source in BRONZE_COLUMNS[build.bronze_table], (column, source)


def _deps(build, column):
    lineage = column_lineage(build.bronze_table, build.lineage)
    return {(dep.asset_key.to_user_string(), dep.column_name) for dep in lineage.deps_by_column[column]}


def test_pseudonyms_and_shifted_dates_point_at_the_phi_they_came_from():
    patients, encounters = EHR_SILVER_BUILDS[0], EHR_SILVER_BUILDS[1]
    assert "id" in EHR_COLUMNS["patients"] and "patient" in EHR_COLUMNS["encounters"]
    assert _deps(patients, "patient_id") == {("ehr_patients", "id")}
    assert _deps(patients, "zip3") == {("ehr_patients", "zip")}
    assert _deps(patients, "age_band") == {("ehr_patients", "birthdate"), ("ehr_patients", "delivery_date")}
    assert _deps(encounters, "start_at") == {("ehr_encounters", "start"), ("ehr_encounters", "patient")}
    assert _deps(LAB_SILVER_BUILD, "patient_id") == {("lab_results_raw", "patient_mrn")}
    # A reading's patient is its device's owner, in silver device_enrollments.
    assert _deps(WEARABLE_READINGS_BUILD, "patient_id") == {
        ("wearable_readings_raw", "device_id"), ("device_enrollments", "patient_id"),
    }
    assert isinstance(column_lineage(patients.bronze_table, patients.lineage), dg.TableColumnLineage)


@pytest.mark.parametrize("build", [b for b in BUILDS if b.more_inputs], ids=lambda build: build.table.name)
def test_every_other_feed_declares_the_lineage_of_every_column(build):
    from healthcare_dataops.defs.bronze.fhir import FHIR_RESOURCES

    for feed in build.more_inputs:
        assert set(feed.lineage) == SILVER_COLUMNS[build.table.name]
        for sources in feed.lineage.values():
            for table, column in sources:
                assert table == feed.bronze_table == FHIR_RESOURCES.name and column in FHIR_RESOURCES.schema.names
    # The asset's lineage names both feeds.
    deps = column_lineage(build.bronze_table, build.combined_lineage).deps_by_column["patient_id"
                                                                                    if "patient_id" in build.lineage
                                                                                    else "device_id"]
    assert {d.asset_key.to_user_string() for d in deps} >= {build.bronze_table, "fhir_resources"}

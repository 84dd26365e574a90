"""A critical check fails on a crafted bad batch, and the downstream asset then does not run."""

import shutil

import dagster as dg
import pyarrow as pa
import pytest
from dagster._core.storage.tags import (
    ASSET_PARTITION_RANGE_END_TAG,
    ASSET_PARTITION_RANGE_START_TAG,
)
from deltalake import DeltaTable, write_deltalake

from healthcare_dataops import settings
from healthcare_dataops.resources import (
    KafkaResource,
    LakehouseResource,
    LandingZoneResource,
    PseudonymizationResource,
    SparkResource,
)
from healthcare_dataops_tests.dagster_helpers import lakehouse_assets

DAY = "2026-01-01"
UNKNOWN_PATIENT = "0" * 64


@pytest.fixture(scope="module")
def built(small_lakehouse):
    """50 patients over one clean day, bronze to gold (the shared build); tests copy it."""
    assert small_lakehouse.first_day == small_lakehouse.last_day == DAY
    return small_lakehouse.root


def _plant(lakehouse, table: str, **changes) -> None:
    """Append a copy of one existing row with ``changes``: a bad batch the transform never made."""
    uri = str(lakehouse / "silver" / table)
    existing = DeltaTable(uri)
    row = {**existing.to_pyarrow_table().slice(0, 1).to_pylist()[0], **changes}
    schema = pa.schema(existing.schema().to_arrow())
    write_deltalake(uri, pa.Table.from_pylist([row], schema=schema), mode="append",
                    partition_by=existing.metadata().partition_columns)


def _run(root, lakehouse, selection):
    return dg.materialize(
        lakehouse_assets(),
        selection=selection,
        resources={
            "landing_zone": LandingZoneResource(root=str(root / "landing")),
            "lakehouse": LakehouseResource(root=str(lakehouse)),
            "spark": SparkResource(), "pseudonymization": PseudonymizationResource(),
            "kafka": KafkaResource(bootstrap_servers=settings.kafka_bootstrap_servers()),
        },
        tags={ASSET_PARTITION_RANGE_START_TAG: DAY, ASSET_PARTITION_RANGE_END_TAG: DAY},
        raise_on_error=False,
    )


CASES = {
    # table: (bad values, what its step writes, what a downstream step writes, if any)
    "patients": ({"age_band": "unknown"}, ["patients", "patients_quarantine"],
                 ["encounters", "encounters_quarantine"]),
    # A device no delivery names: re-running the day rewrites the readings of its measured
    # days, and a planted copy of a delivered reading's key would give way to the delivery.
    "wearable_readings": (
        {"device_id": "f" * 64, "patient_id": UNKNOWN_PATIENT, "measure": "heart_rate", "value": None},
        ["wearable_readings", "wearable_readings_quarantine"], ["wearable_vitals"],
    ),
    "lab_results": ({"analyte": "unobtainium"}, ["lab_results", "lab_results_quarantine"], []),
    "encounters": ({"patient_id": UNKNOWN_PATIENT, "encounter_id": "e" * 64},
                   ["encounters", "encounters_quarantine"], []),
}


@pytest.mark.parametrize("table", sorted(CASES))
def test_a_failed_critical_check_stops_what_depends_on_the_table(built, tmp_path, table):
    bad, written, downstream = CASES[table]
    lakehouse = tmp_path / "lakehouse"
    shutil.copytree(built / "lakehouse", lakehouse)
    _plant(lakehouse, table, **bad)
    result = _run(built, lakehouse, dg.AssetSelection.assets(*written, *downstream))

    assert not result.success
    [critical] = [e for e in result.get_asset_check_evaluations() if e.check_name == "critical_expectations"]
    assert not critical.passed and critical.severity == dg.AssetCheckSeverity.ERROR
    assert "**no**" in critical.metadata["outcomes"].value
    materialized = {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}
    assert materialized.isdisjoint(downstream)


def test_conservation_fails_loudly_when_the_rows_are_not_accounted_for(built, tmp_path):
    lakehouse = tmp_path / "lakehouse"
    shutil.copytree(built / "lakehouse", lakehouse)
    # The check alone: this run recorded no outcome for the bronze rows of the day.
    result = _run(built, lakehouse,
                  dg.AssetSelection.checks(dg.AssetCheckKey(dg.AssetKey("lab_results"), "conservation")))
    [evaluation] = result.get_asset_check_evaluations()
    assert not evaluation.passed and evaluation.severity == dg.AssetCheckSeverity.ERROR
    assert evaluation.metadata["days_not_conserved"].value == [DAY]

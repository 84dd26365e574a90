import importlib
import warnings

import dagster as dg

import healthcare_dataops.definitions


def test_definitions_load_without_warnings_from_our_code():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        module = importlib.reload(healthcare_dataops.definitions)
        dg.Definitions.validate_loadable(module.defs)
        module.defs.resolve_asset_graph()
    ours = [w for w in caught if "healthcare_dataops" in (w.filename or "")]
    assert not ours, [f"{w.filename}:{w.lineno}: {w.message}" for w in ours]


def test_every_bronze_table_is_an_asset_in_the_bronze_group():
    graph = healthcare_dataops.definitions.defs.resolve_asset_graph()
    bronze = {
        key.to_user_string()
        for key in graph.get_all_asset_keys()
        if graph.get(key).group_name == "bronze"
    }
    assert bronze == {
        "ehr_patients", "ehr_encounters", "ehr_conditions", "ehr_medications",
        "ehr_observations", "ehr_bronze_quarantine", "lab_results_raw",
        "lab_bronze_quarantine", "wearable_readings_raw", "wearable_enrollments_raw",
        "wearable_bronze_quarantine",
    }


# Rebuilt from all history on every run: a day of them would mean nothing.
WHOLE_HISTORY = {"patient_features", "risk_model", "feature_drift_report"}


def test_daily_assets_are_partitioned_whole_history_ones_not_and_all_backfill_in_one_run():
    graph = healthcare_dataops.definitions.defs.resolve_asset_graph()
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        if key.to_user_string() in WHOLE_HISTORY:
            assert node.partitions_def is None, key
        else:
            assert isinstance(node.partitions_def, dg.DailyPartitionsDefinition), key
        # The CLI's --partition-range takes only single-run assets, unpartitioned ones too.
        assert node.backfill_policy == dg.BackfillPolicy.single_run(), key

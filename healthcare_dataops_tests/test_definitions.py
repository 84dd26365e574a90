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
        "wearable_bronze_quarantine", "fhir_resources", "fhir_bronze_quarantine",
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


def _nodes():
    defs = healthcare_dataops.definitions.defs
    graph = defs.resolve_asset_graph()
    return defs, graph, {key.to_user_string(): graph.get(key) for key in graph.get_all_asset_keys()}


def test_every_writer_of_a_shared_table_or_the_registry_takes_its_pool():
    """One pool per layer and source, gold's tables one, the registry one; the drift report
    writes no shared table."""
    defs, _, nodes = _nodes()
    pools = {name: defs.resolve_assets_def(dg.AssetKey(name)).op.pool for name in nodes}
    for name, node in nodes.items():
        if node.group_name in ("bronze", "silver"):
            assert pools[name] == f"{node.group_name}_{node.tags['source']}_tables", name
    assert pools["patient_features"] == pools["patient_risk_scores"] == "gold_tables"
    assert pools["risk_model"] == "model_registry"
    assert pools["feature_drift_report"] is None
    assert {p for p in pools.values() if p} == {
        "bronze_ehr_tables", "bronze_labs_tables", "bronze_wearables_tables", "bronze_fhir_tables", "silver_ehr_tables",
        "silver_labs_tables", "silver_wearables_tables", "gold_tables", "model_registry"}


def test_a_landed_day_flows_by_automation_conditions_and_feeds_carry_freshness():
    _, _, nodes = _nodes()
    for name, node in nodes.items():
        decided_outside = node.group_name == "bronze" or name == "risk_model"  # sensors, schedules
        assert (node.automation_condition is None) == decided_outside, name
        assert (node.freshness_policy is not None) == (node.group_name == "bronze"), name
    assert nodes["patients"].automation_condition.get_label() == "every updated day"
    assert nodes["patient_features"].automation_condition.get_label() == "whole history"


def test_every_asset_has_owners_and_a_code_version_and_the_days_are_the_hospitals():
    from healthcare_dataops import settings

    _, _, nodes = _nodes()
    for name, node in nodes.items():
        assert node.owners and node.code_version, name
        if node.partitions_def is not None:
            assert node.partitions_def.timezone == settings.hospital_timezone().key, name


def test_drift_verdicts_are_warning_checks_on_the_report_and_sources_on_silver():
    _, graph, _ = _nodes()
    checks = {k.name for k in graph.asset_check_keys if k.asset_key == dg.AssetKey("feature_drift_report")}
    assert checks == {"features_have_not_drifted", "live_auroc_holds", "scored_stays_are_steady"}
    keys = set(graph.asset_check_keys)
    assert dg.AssetCheckKey(dg.AssetKey("lab_results"), "lab_values_match_their_history") in keys
    assert dg.AssetCheckKey(dg.AssetKey("wearable_readings"), "wearable_values_match_their_history") in keys

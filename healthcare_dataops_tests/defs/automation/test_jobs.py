"""The daily job's selection, resolved against the project's own asset graph."""

import dagster as dg

from healthcare_dataops.definitions import defs
from healthcare_dataops.defs.automation.jobs import daily_pipeline_job
from healthcare_dataops.lib.partitions import delivery_day_partitions
from healthcare_dataops.lib.retries import IO_RETRY_POLICY
from healthcare_dataops.resources import build_resources

DRIFT_REPORT = dg.AssetKey("feature_drift_report")


def keys_by_group(graph) -> dict[str, set[dg.AssetKey]]:
    groups: dict[str, set[dg.AssetKey]] = {}
    for key in graph.get_all_asset_keys():
        groups.setdefault(graph.get(key).group_name, set()).add(key)
    return groups


def test_daily_job_runs_the_data_layers_not_the_model():
    graph = defs.resolve_asset_graph()
    groups = keys_by_group(graph)
    # allow_missing: the drift report is selected by key before it is in the Definitions.
    selected = daily_pipeline_job.selection.resolve(graph, allow_missing=True)
    assert groups["bronze"] | groups["silver"] | groups["gold"] <= selected
    assert not groups["ml"] & selected
    assert (DRIFT_REPORT in selected) == (DRIFT_REPORT in graph.get_all_asset_keys())
    assert daily_pipeline_job.op_retry_policy == IO_RETRY_POLICY


def test_daily_job_builds_partitioned_by_delivery_day_with_its_checks():
    graph = defs.resolve_asset_graph()
    assert DRIFT_REPORT in graph.get_all_asset_keys()
    project = dg.Definitions(
        assets=defs.assets, asset_checks=defs.asset_checks, jobs=[daily_pipeline_job], resources=build_resources()
    )
    assert project.resolve_job_def("daily_pipeline_job").partitions_def == delivery_day_partitions
    checks = daily_pipeline_job.selection.resolve_checks(graph)
    assert {c.name for c in checks} >= {"conservation", "critical_expectations"}

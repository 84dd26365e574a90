"""Assembles the project's Definitions from the ``defs`` folder and applies the policies that
every asset of a kind shares; it defines nothing itself."""

import datetime as dt
import warnings
from importlib.metadata import version

import dagster as dg

import healthcare_dataops.defs
from healthcare_dataops.resources import build_resources

# Every feed delivers once a day: a bronze table not updated for 30 hours has missed a
# delivery (warn), for 54 hours two in a row (fail). The UI shows each feed's state.
FEED_FRESHNESS = dg.FreshnessPolicy.time_window(fail_window=dt.timedelta(hours=54), warn_window=dt.timedelta(hours=30))
FEED_GROUP = "bronze"
# Who answers for an asset: the tables are the data team's, the model, its scores and its
# monitoring the team that trains it.
TABLE_GROUPS = {"bronze", "silver", "gold"}
DATA_TEAM, MODEL_TEAM = "team:data-engineering", "team:data-science"
# The release that computes every asset: a new one marks them changed in the UI.
CODE_VERSION = version("healthcare-dataops")


def with_project_policy(spec: dg.AssetSpec) -> dg.AssetSpec:
    """Owners and code version on every asset, a freshness policy on every feed's table."""
    return spec.replace_attributes(
        owners=[DATA_TEAM if spec.group_name in TABLE_GROUPS else MODEL_TEAM],
        code_version=CODE_VERSION,
        freshness_policy=FEED_FRESHNESS if spec.group_name == FEED_GROUP else spec.freshness_policy,
    )


# Every module of the defs folder, as dg.load_from_defs_folder would find them, without its
# loading of component plugins: dagster-aws's alone adds 1.6 s (boto3) to every CLI call, run
# worker and sensor tick. Its map of specs is Dagster's way to apply one policy to every
# asset; both are marked preview in 1.13.
with warnings.catch_warnings():
    warnings.simplefilter("ignore", dg.PreviewWarning)
    defs = dg.load_definitions_from_package_module(
        healthcare_dataops.defs,
        resources=build_resources(),
        # Every step of a run shares one process, and so one Spark engine session: starting
        # an engine per step would cost more than most steps do.
        executor=dg.in_process_executor,
    ).map_asset_specs(func=with_project_policy)

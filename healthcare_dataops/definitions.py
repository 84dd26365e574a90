"""Assembles the project's Definitions from the ``defs`` folder and applies the policies that
every asset of a kind shares; it defines nothing itself."""

import datetime as dt
import warnings
from importlib.metadata import version
from pathlib import Path

import dagster as dg

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


# The loader reads healthcare_dataops/dg.toml, which the package carries; a map of specs is
# Dagster's way to apply one policy to every asset (still marked preview in 1.13).
with warnings.catch_warnings():
    warnings.simplefilter("ignore", dg.PreviewWarning)
    defs = dg.load_from_defs_folder(path_within_project=Path(__file__).parent).map_asset_specs(
        func=with_project_policy
    )

"""The project's automation conditions, evaluated by Dagster on the project's own asset graph.

Updates are recorded as runless materializations (what a run of another job leaves behind),
and each tick is ``dg.evaluate_automation_conditions`` at a clock passed in, with the cursor
carried from tick to tick as the automation sensor keeps it.
"""

from __future__ import annotations

import datetime as dt

import dagster as dg
import pytest

from healthcare_dataops import settings
from healthcare_dataops.definitions import defs

OLDER_DAY, DAY_THAT_ENDED, TODAY = "2026-01-01", "2026-01-02", "2026-01-03"


def _keys(group: str) -> set[dg.AssetKey]:
    graph = defs.resolve_asset_graph()
    return {k for k in graph.get_all_asset_keys() if graph.get(k).group_name == group}


BRONZE, SILVER = _keys("bronze"), _keys("silver")
FEATURES, MODEL = dg.AssetKey("patient_features"), dg.AssetKey("risk_model")
SCORES, DRIFT_REPORT = dg.AssetKey("patient_risk_scores"), dg.AssetKey("feature_drift_report")


class Ticks:
    """The automation sensor's ticks on one instance, at 05:00 of TODAY in the hospital's zone."""

    def __init__(self):
        self.instance = dg.DagsterInstance.ephemeral()
        self.cursor = None
        self.now = dt.datetime.fromisoformat(TODAY).replace(hour=5, tzinfo=settings.hospital_timezone())

    def tick(self) -> dict[dg.AssetKey, set[str | None]]:
        result = dg.evaluate_automation_conditions(defs=defs, instance=self.instance, cursor=self.cursor,
                                                   evaluation_time=self.now)
        self.cursor = result.cursor
        requested = {}
        for key in defs.resolve_asset_graph().get_all_asset_keys():
            partitions = set(result.get_requested_partitions(key))
            if partitions:
                requested[key] = partitions
        return requested

    def updated(self, keys, partition: str | None = None) -> None:
        for key in keys:
            self.instance.report_runless_asset_event(dg.AssetMaterialization(key, partition=partition))


@pytest.fixture
def ticks() -> Ticks:
    if settings.first_delivery_day() > OLDER_DAY:
        pytest.skip(f"the days here come before {settings.FIRST_DELIVERY_DAY}={settings.first_delivery_day()}")
    ticks = Ticks()
    assert ticks.tick() == {}, "the first tick only takes stock"
    return ticks


def test_a_landed_older_day_flows_through_silver_to_gold_and_the_drift_report(ticks):
    ticks.updated(BRONZE, OLDER_DAY)
    # Every silver table of that day (patients first, the others in the same run), not only
    # of the newest partition.
    assert ticks.tick() == {k: {OLDER_DAY} for k in SILVER}
    assert ticks.tick() == {}, "requested once, not again while it runs"
    ticks.updated(SILVER, OLDER_DAY)
    # Gold and the report once the day's silver is written: they are not partitioned, so they
    # cannot share the day's run. No model is registered yet: nothing to score with, and
    # training is the sensors' and the schedule's call.
    assert ticks.tick() == {FEATURES: {None}, DRIFT_REPORT: {None}}
    ticks.updated([FEATURES, DRIFT_REPORT])
    assert ticks.tick() == {}


def test_after_a_run_of_another_job_only_the_days_scores_are_due(ticks):
    """What the daily pipeline leaves behind: bronze to gold of a day, its drift report."""
    ticks.updated(BRONZE | SILVER, OLDER_DAY)
    ticks.updated([FEATURES, DRIFT_REPORT, MODEL])
    requested = ticks.tick()
    # Runless updates stand for another job's run: the conditions still see silver updated,
    # so they ask again only for what that run would not have targeted: the day's scores.
    assert requested.get(SCORES) == {OLDER_DAY}


def test_a_new_model_rescores_the_newest_days_only(ticks):
    """Each day already scored by the champion of its time (as the daily runs leave it)."""
    ticks.updated([MODEL])
    for day in (OLDER_DAY, DAY_THAT_ENDED):
        ticks.updated(BRONZE | SILVER, day)
        ticks.updated([SCORES], day)
    ticks.updated([FEATURES, DRIFT_REPORT])
    assert ticks.tick() == {}
    ticks.updated([MODEL])
    requested = ticks.tick()
    # Today has no silver yet, and older days keep the scores the care team saw on them.
    assert requested[SCORES] == {DAY_THAT_ENDED}
    assert requested[DRIFT_REPORT] == {None}, "the report compares against the new champion"
    assert FEATURES not in requested

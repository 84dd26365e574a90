"""How an asset follows its inputs: one declarative automation condition per shape of asset.

Outside events start runs (the landing zone sensor, the drift sensor, the schedules); from
there, ``lakehouse_automation_sensor`` evaluates these conditions and requests what an update
upstream makes due, so a day that reached bronze by any path (a sensor's run, a backfill, a
materialization from the UI) flows through silver and gold to its scores without a job that
names each asset. A run that already targets an asset (the daily pipeline, a backfill of the
whole graph) leaves nothing for the conditions to request: ``eager`` ignores updates made by a
run whose own targets include the asset.
"""

import datetime as dt

import dagster as dg

AC = dg.AutomationCondition


def every_updated_day() -> AC:
    """A daily asset: each delivery day whose inputs were updated, not only the newest.

    ``eager()`` acts on the latest partition alone; a late or corrected delivery of an older
    day must flow too."""
    return AC.eager().without(AC.in_latest_time_window()).with_label("every updated day")


def whole_history() -> AC:
    """An unpartitioned asset rebuilt from every day of its daily inputs.

    Without ``eager``'s wait for missing inputs: some day of a daily input is always missing
    (a day a feed did not deliver, today's partition before its files), which would hold the
    rebuild back for ever."""
    return AC.eager().without(~AC.any_deps_missing()).with_label("whole history")


def scores_of_every_updated_day(model: dg.AssetKey) -> AC:
    """Daily scores: a day whose clinical inputs were updated is scored again, and when a new
    model version is registered the newest two days (the one that ended and today, where its
    inputs have arrived) are rescored with whichever version is champion.

    A model update counts only for the newest day: an unpartitioned input's update marks every
    day's inputs updated, and rescoring all of history with today's model would rewrite what
    the care team saw on those days."""
    model_only = dg.AssetSelection.assets(model)
    day_updated = every_updated_day().replace(
        "any_deps_updated", AC.any_deps_updated().ignore(model_only)
    )
    model_updated = (
        # Two days back from the newest partition's end, tomorrow's midnight (end_offset=1).
        AC.in_latest_time_window(lookback_delta=dt.timedelta(days=2))
        & AC.any_deps_updated().allow(model_only).since_last_handled()
        & ~AC.any_deps_missing()
        & ~AC.any_deps_in_progress()
        & ~AC.in_progress()
    )
    return (day_updated | model_updated).with_label("scores of every updated day, newest day after a new model")

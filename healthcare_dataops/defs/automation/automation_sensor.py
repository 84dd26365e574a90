"""``lakehouse_automation_sensor``: evaluates the assets' automation conditions.

What each asset waits for is its own ``automation_condition`` (healthcare_dataops/lib/automation.py):
silver follows bronze day by day, gold and the drift report follow silver, scores follow
silver and a new model. Stopped by default, like the landing zone sensor it completes: a
deployment switches both on; starting the UI on a laptop must not start runs by itself.
"""

import dagster as dg

lakehouse_automation_sensor = dg.AutomationConditionSensorDefinition(
    "lakehouse_automation_sensor",
    target=dg.AssetSelection.all(),
    default_status=dg.DefaultSensorStatus.STOPPED,
    minimum_interval_seconds=30,
    description="Requests the silver, gold, score and drift-report partitions that an update "
    "upstream made due, as each asset's automation condition says.",
)

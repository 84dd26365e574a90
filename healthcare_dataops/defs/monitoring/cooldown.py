"""How long feature_drift_sensor waits between two retraining requests, from the environment."""

import datetime as dt
import math
import os

from healthcare_dataops.settings import RETRAIN_COOLDOWN_HOURS

# A day: drift in daily deliveries is judged again tomorrow; retraining more often than the
# data change only adds model versions.
DEFAULT_RETRAIN_COOLDOWN_HOURS = 24.0


def retrain_cooldown() -> dt.timedelta:
    value = os.environ.get(RETRAIN_COOLDOWN_HOURS) or str(DEFAULT_RETRAIN_COOLDOWN_HOURS)
    try:
        hours = float(value)
    except ValueError:
        hours = -1.0
    if not (math.isfinite(hours) and hours >= 0):
        raise ValueError(f"{RETRAIN_COOLDOWN_HOURS}={value!r} is not a number of hours >= 0, such as 24 or 0.5")
    return dt.timedelta(hours=hours)

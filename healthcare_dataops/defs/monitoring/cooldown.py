"""How long feature_drift_sensor waits between two retraining requests, from the environment."""

import datetime as dt

from healthcare_dataops import settings
from healthcare_dataops.settings import RETRAIN_COOLDOWN_HOURS

# A day: drift in daily deliveries is judged again tomorrow; retraining more often than the
# data change only adds model versions.
DEFAULT_RETRAIN_COOLDOWN_HOURS = 24.0


def retrain_cooldown() -> dt.timedelta:
    hours = settings.read_setting(RETRAIN_COOLDOWN_HOURS, str(DEFAULT_RETRAIN_COOLDOWN_HOURS), settings.parse_hours)
    return dt.timedelta(hours=hours)

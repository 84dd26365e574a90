"""Monitoring definitions: the feature drift report, the sensor that acts on it, the retrain job."""

"""How long a ``feature_drift_sensor`` tick takes against a real instance's event log."""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass
from pathlib import Path

import dagster as dg

from healthcare_dataops.benchmark.run_stats import open_instance

TICKS = 7


@dataclass(frozen=True)
class SensorTick:
    seconds: float  # the median tick
    runs: list[float]
    outcome: str


def time_drift_sensor(dagster_home: Path) -> SensorTick:
    from healthcare_dataops.defs.monitoring.feature_drift_sensor import feature_drift_sensor

    seconds: list[float] = []
    with open_instance(dagster_home) as instance:
        for _ in range(TICKS):
            # No cursor: each tick reads the latest report afresh, the costlier path.
            with dg.build_sensor_context(instance=instance) as context:
                started = time.perf_counter()
                result = feature_drift_sensor(context)
                seconds.append(time.perf_counter() - started)
    skipped = result.skip_reason.skip_message if result.skip_reason else None
    outcome = skipped or f"{len(result.run_requests or [])} run request(s)"
    return SensorTick(statistics.median(seconds), seconds, outcome)

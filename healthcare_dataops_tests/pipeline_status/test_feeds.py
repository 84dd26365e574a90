"""A table's quarantine rate against its usual band, from its own earlier delivery days."""

import pytest

from healthcare_dataops.pipeline_status.catalog import FeedTable
from healthcare_dataops.pipeline_status.feeds import DeliveryDay, TableStatus

TABLE = FeedTable("lab_results", "silver", "labs")


def _status(*rates: float) -> TableStatus:
    return TableStatus(TABLE, 0.0, tuple(DeliveryDay(f"2026-01-{n + 1:02d}", 1000 - int(r * 1000), int(r * 1000))
                                         for n, r in enumerate(rates)))


def test_the_band_is_mean_plus_three_deviations_of_the_earlier_days():
    status = _status(0.01, 0.02, 0.03, 0.20)
    assert status.newest_day.quarantine_rate == pytest.approx(0.20)
    assert status.usual_quarantine_rate_upper == pytest.approx(0.02 + 3 * (2 / 3) ** 0.5 / 100)
    assert status.newest_day.quarantine_rate > status.usual_quarantine_rate_upper


def test_no_band_before_three_earlier_days_and_a_floor_for_clean_tables():
    assert _status(0.0, 0.0, 0.5).usual_quarantine_rate_upper is None
    assert _status(0.0, 0.0, 0.0, 0.0).usual_quarantine_rate_upper == 0.01
    assert TableStatus(TABLE).freshness_lag_seconds(10.0) is None

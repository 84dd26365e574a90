"""The per-source value monitor on the engine: a recalibrated analyzer at one lab is named,
steady sources and tiny shifts are not."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from pyspark.sql import functions as F

from healthcare_dataops.quality.source_values import MIN_SHIFT_SD, compare_days, daily_stats, summary

FIRST = dt.date(2026, 3, 1)
MEANS = {"creatinine": (1.1, 0.35), "sodium": (139.0, 3.0)}


def _rows(days: int, shifted_from: int | None = None, factor: float = 1.3, per_day: int = 40):
    rng = np.random.default_rng(3)
    rows = []
    for d in range(days):
        day = FIRST + dt.timedelta(days=d)
        for lab in ("northlab", "citycore", "quantum"):
            for analyte, (mean, sd) in MEANS.items():
                values = rng.normal(mean, sd, per_day)
                if shifted_from is not None and d >= shifted_from and lab == "citycore" and analyte == "creatinine":
                    values = values * factor
                rows += [(lab, analyte, float(v), day, f"p{k}") for k, v in enumerate(values)]
    return rows


def _stats(spark, rows):
    frame = spark.createDataFrame(rows, "lab string, analyte string, value double, delivery_date date, "
                                  "patient_id string")
    return daily_stats(frame, F.col("lab"), F.col("analyte"), F.col("value"), F.col("delivery_date"),
                       F.col("patient_id"))


@pytest.fixture(scope="module")
def recalibrated(spark):
    return _stats(spark, _rows(40, shifted_from=33))


def test_a_recalibrated_analyzer_is_named_at_its_lab_from_the_day_it_changed(recalibrated):
    days = [(FIRST + dt.timedelta(days=d)).isoformat() for d in range(28, 40)]
    found = compare_days(recalibrated, days)
    assert {(s.source, s.measure) for s in found.shifts} == {("citycore", "creatinine")}
    # From the change on, while it is still new against the last 28 days.
    assert min(s.day for s in found.shifts) == FIRST + dt.timedelta(days=33)
    assert all(s.shift_sd > 0.5 for s in found.shifts)
    assert summary(found, "lab analyte").startswith("Shifted against their own last 28 days: citycore creatinine +")


def test_steady_sources_and_days_without_history_stay_quiet(spark, recalibrated):
    early = compare_days(recalibrated, [(FIRST + dt.timedelta(days=d)).isoformat() for d in range(0, 10)])
    assert not early.shifts and early.without_history > 0 and "too little history" in summary(early, "x")
    steady = compare_days(_stats(spark, _rows(40)), [(FIRST + dt.timedelta(days=d)).isoformat() for d in range(28, 40)])
    assert not steady.shifts and steady.compared == 12 * 6


def test_days_with_too_few_patients_are_not_judged(spark):
    # Forty values a day from three patients: who they are decides the mean.
    rows = [(lab, analyte, value, day, f"p{k % 3}") for k, (lab, analyte, value, day, _) in
            enumerate(_rows(40, shifted_from=33))]
    found = compare_days(_stats(spark, rows), [(FIRST + dt.timedelta(days=d)).isoformat() for d in range(28, 40)])
    assert not found.shifts and found.compared == 0


def test_a_tiny_shift_is_not_a_change_however_many_values_show_it(spark):
    # A twentieth of a standard deviation, over 2,000 values a day: "significant", and nothing.
    rows = _stats(spark, _rows(36, shifted_from=30, factor=1 + 0.05 * 0.35 / 1.1, per_day=2000))
    found = compare_days(rows, [(FIRST + dt.timedelta(days=d)).isoformat() for d in range(30, 36)])
    assert not found.shifts and MIN_SHIFT_SD > 0.05

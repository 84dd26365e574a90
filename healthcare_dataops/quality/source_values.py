"""Per-source value monitors: each lab analyte per performing lab, each wearable measure per
device model, against its own recent history.

A recalibrated analyzer or a firmware update moves the values of one source, for every
patient it serves, from the day it happened: a feature built on them shows it only later and
mixed with the other sources. Here each (source, measure) is compared day by day with its own
last ``HISTORY_DAYS`` delivery days, as a control chart would: a day is off when its mean lies
further from the history's mean than ``DAILY_NOISE_MULTIPLE`` times how much the history's
daily means vary (what a day shows by chance, with its mix of patients) and than
``MIN_SHIFT_SD`` of the history's spread (an effect that matters, however many values show a
smaller one). No run rule ("three days beyond two sigma"): a lab's daily means wander with the
patients in its wards, who stay for days, so runs happen by chance; a recalibration moves a
source by a standard deviation or more from its first day. Days are
delivery days, real time: the values' own times are shifted per patient. The engine aggregates
(count, mean, variance per source, measure and day); the comparison runs on those few numbers.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

HISTORY_DAYS = 28
MIN_HISTORY_DAYS = 7
# A day's mean from fewer patients than this swings with who they are (a few inpatients' labs,
# a handful of devices): it is neither judged nor part of a history.
MIN_PATIENTS_PER_DAY = 8
MIN_SHIFT_SD = 0.4
DAILY_NOISE_MULTIPLE = 4.0


@dataclass(frozen=True)
class SourceShift:
    source: str
    measure: str
    day: dt.date
    values: int
    mean: float
    history_mean: float
    history_sd: float
    threshold: float  # in the measure's units

    @property
    def shift_sd(self) -> float:
        return (self.mean - self.history_mean) / self.history_sd if self.history_sd else float("inf")


@dataclass(frozen=True)
class SourceComparison:
    shifts: tuple[SourceShift, ...]
    compared: int  # (source, measure, day) with enough values and history
    without_history: int  # with enough values on the day but too little history before it


def history_start(days: Sequence[str]) -> dt.date:
    return dt.date.fromisoformat(min(days)) - dt.timedelta(days=HISTORY_DAYS)


def daily_stats(rows: DataFrame, source: Column, measure: Column, value: Column, day: Column,
                patient: Column) -> pd.DataFrame:
    """count, patients, mean and variance per (source, measure, day), computed on the engine."""
    stats = rows.where(value.isNotNull()).groupBy(
        source.alias("source"), measure.alias("measure"), day.alias("day")
    ).agg(F.count(value).alias("n"), F.countDistinct(patient).alias("patients"), F.avg(value).alias("mean"),
          F.var_samp(value).alias("var"))
    frame = stats.toPandas()
    frame["day"] = pd.to_datetime(frame["day"]).dt.date
    frame["var"] = frame["var"].fillna(0.0)
    return frame


def _pooled(history: pd.DataFrame) -> tuple[float, float]:
    n = history["n"].to_numpy(dtype=float)
    mean = float(np.average(history["mean"], weights=n))
    # Within-day and between-day spread together: the variance of all the history's values.
    total = ((n - 1) * history["var"] + n * (history["mean"] - mean) ** 2).sum() / max(n.sum() - 1, 1)
    return mean, float(np.sqrt(total))


def _baseline(rows: pd.DataFrame, before: dt.date) -> tuple[float, float, float] | None:
    """(mean, spread of values, spread of daily means) of the history before ``before``."""
    history = rows[(rows["day"] < before) & (rows["day"] >= before - dt.timedelta(days=HISTORY_DAYS))]
    if len(history) < MIN_HISTORY_DAYS:
        return None
    mean, sd = _pooled(history)
    return mean, sd, float(history["mean"].std(ddof=1))


def compare_days(stats: pd.DataFrame, days: Sequence[str]) -> SourceComparison:
    judged = [dt.date.fromisoformat(d) for d in days]
    shifts, compared, without = [], 0, 0
    for (source, measure), rows in stats[stats["patients"] >= MIN_PATIENTS_PER_DAY].groupby(["source", "measure"]):
        by_day = rows.set_index("day")
        for day in judged:
            if day not in by_day.index:
                continue
            baseline = _baseline(rows, day)
            if baseline is None:
                without += 1
                continue
            compared += 1
            mean, sd, daily = baseline
            current = by_day.loc[day]
            threshold = max(MIN_SHIFT_SD * sd, DAILY_NOISE_MULTIPLE * daily)
            if abs(current["mean"] - mean) > threshold:
                shifts.append(SourceShift(str(source), str(measure), day, int(current["n"]), float(current["mean"]),
                                          mean, sd, threshold))
    return SourceComparison(tuple(shifts), compared, without)


def summary(found: SourceComparison, what: str) -> str:
    """One line naming each shifted source and measure, for the check's description."""
    if not found.shifts:
        return (f"No {what} moved against its own last {HISTORY_DAYS} days ({found.compared} source-measure-days "
                f"compared, {found.without_history} with too little history yet).")
    named = []
    shifted = pd.DataFrame([s.__dict__ | {"shift_sd": s.shift_sd} for s in found.shifts])
    for (source, measure), group in shifted.groupby(["source", "measure"]):
        last = group.iloc[-1]
        named.append(f"{source} {measure} {group['shift_sd'].mean():+.2f} SD on {len(group)} day(s) from "
                     f"{group['day'].min()} (mean {last['mean']:.4g} against {last['history_mean']:.4g})")
    return f"Shifted against their own last {HISTORY_DAYS} days: " + "; ".join(named) + "."


def markdown_table(found: SourceComparison) -> str:
    lines = ["| source | measure | day | values | mean | history mean | shift (SD) |", "|---|---|---|---|---|---|---|"]
    for s in found.shifts:
        lines.append(f"| {s.source} | {s.measure} | {s.day} | {s.values} | {s.mean:.4g} | {s.history_mean:.4g} "
                     f"| {s.shift_sd:+.2f} |")
    return "\n".join(lines)

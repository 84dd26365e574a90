"""The champion's AUROC on admissions it scored while they were open and whose label has
arrived, with its bootstrap interval: a retraining trigger of its own when the interval lies
wholly below what the champion showed on its holdout."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from healthcare_dataops.ml.dataset import labelled_rows
from healthcare_dataops.ml.uncertainty import Interval, auroc, bootstrap_intervals
from healthcare_dataops.transforms.features import LABEL

SCORE_COLUMNS = ("encounter_id", "as_of", "risk", "model_version")
# Fewer readmitted (or not readmitted) scored admissions than this: no live verdict.
MIN_LIVE_POSITIVES = 10


@dataclass(frozen=True)
class LivePerformance:
    labelled_rows: int  # scored admissions, of this version, with a complete label
    auroc: float | None  # None with no such admission or only one label value among them
    positives: int = 0
    interval: Interval = field(default_factory=lambda: Interval(None, None))


def live_performance(scores: pd.DataFrame | None, features: pd.DataFrame, model_version: str) -> LivePerformance:
    """Each admission counts once, with the version's last score before discharge: the one
    made on the most information, as the training rows are described at discharge."""
    if scores is None or scores.empty:
        return LivePerformance(0, None)
    mine = scores[scores["model_version"].astype(str) == str(model_version)]
    last = mine.sort_values("as_of", kind="stable").drop_duplicates("encounter_id", keep="last")
    joined = last.merge(labelled_rows(features)[["encounter_id", LABEL]], on="encounter_id", how="inner")
    if joined.empty:
        return LivePerformance(0, None)
    y, risk = joined[LABEL].astype(int).to_numpy(), joined["risk"].to_numpy(dtype=float)
    return LivePerformance(len(joined), auroc(y, risk), int(y.sum()), bootstrap_intervals(y, risk, ("auroc",))["auroc"])


@dataclass(frozen=True)
class PerformanceVerdict:
    drifted: bool
    reason: str


def performance_drift(live: LivePerformance, holdout_auroc: float | None,
                      min_positives: int = MIN_LIVE_POSITIVES) -> PerformanceVerdict:
    negatives = live.labelled_rows - live.positives
    if min(live.positives, negatives) < min_positives or live.auroc is None:
        return PerformanceVerdict(False, f"{live.labelled_rows} scored admissions have their label "
                                  f"({live.positives} readmitted): too few (under {min_positives} of each) to judge "
                                  "the champion live")
    shown = f"live AUROC {live.auroc:.3f} ({live.interval.describe()}) on {live.labelled_rows} scored admissions"
    if holdout_auroc is None or live.interval.high is None:
        return PerformanceVerdict(False, f"{shown}; no holdout AUROC to hold it against")
    if live.interval.high < holdout_auroc:
        return PerformanceVerdict(True, f"{shown}: its whole interval is below the champion's holdout AUROC "
                                  f"{holdout_auroc:.3f}")
    return PerformanceVerdict(False, f"{shown}, consistent with the champion's holdout AUROC {holdout_auroc:.3f}")

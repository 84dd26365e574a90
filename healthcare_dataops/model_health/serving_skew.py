"""How far a score made during a stay is from the one its discharge gets: the train/serve skew,
measured on the champion's own holdout.

The champion learnt from stays described at their discharge; the worklist scores stays while
they are open, described as if discharged then (length of stay so far, labs so far). Each
holdout admission is described again as of one and two days before its discharge, exactly as
``patient_risk_scores`` describes an open stay, and scored: the AUROC of those scores beside the
at-discharge one on the same admissions, how far the scores move, and how often the stay so far
is shorter than any the champion learnt from.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from healthcare_dataops.ml.dataset import labels
from healthcare_dataops.ml.training import predict_risk
from healthcare_dataops.ml.uncertainty import auroc
from healthcare_dataops.transforms import features

DAYS_BEFORE = (1, 2)


@dataclass(frozen=True)
class SkewAtDay:
    days_before: int
    admissions: int  # holdout admissions still in hospital then
    auroc: float | None
    auroc_at_discharge: float | None  # the same admissions, scored at discharge
    mean_absolute_change: float
    below_shortest_stay: float  # share whose stay so far is shorter than any training stay


def measure(silver: dict[str, DataFrame], model, holdout: pd.DataFrame, train: pd.DataFrame) -> list[SkewAtDay]:
    at_discharge = pd.Series(predict_risk(model, holdout).to_numpy(), index=holdout["encounter_id"])
    y = pd.Series(labels(holdout), index=holdout["encounter_id"])
    shortest = float(train["length_of_stay_days"].min())
    found = []
    for days in DAYS_BEFORE:
        as_of = F.col("end_at") - F.expr(f"INTERVAL {days} DAYS")
        stays = features.inpatient_features(silver["encounters"], silver["patients"], silver["conditions"],
                                            silver["lab_results"], silver["wearable_vitals"], as_of).toPandas()
        stays = stays[stays["encounter_id"].isin(set(holdout["encounter_id"]))]
        if stays.empty:
            continue
        risk = predict_risk(model, stays).to_numpy()
        ids = stays["encounter_id"].to_numpy()
        truth, before = y.loc[ids].to_numpy(), at_discharge.loc[ids].to_numpy()
        found.append(SkewAtDay(days, len(stays), auroc(truth, risk), auroc(truth, before),
                               float(np.mean(np.abs(risk - before))),
                               float((stays["length_of_stay_days"] < shortest).mean())))
    return found


def describe(found: list[SkewAtDay]) -> str:
    shown = lambda v: "n/a" if v is None else f"{v:.3f}"  # noqa: E731
    return "; ".join(
        f"{s.days_before} day(s) before discharge ({s.admissions} holdout admissions): AUROC {shown(s.auroc)} against "
        f"{shown(s.auroc_at_discharge)} at discharge, scores moved {s.mean_absolute_change:.3f} on average, "
        f"{s.below_shortest_stay:.0%} shorter so far than any training stay" for s in found) or "not measured"

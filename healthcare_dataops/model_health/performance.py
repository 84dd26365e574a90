"""The champion's AUROC on admissions it scored while they were open and whose label has arrived."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from healthcare_dataops.ml.dataset import labelled_rows
from healthcare_dataops.ml.evaluation import auroc
from healthcare_dataops.transforms.features import LABEL

SCORE_COLUMNS = ("encounter_id", "as_of", "risk", "model_version")


@dataclass(frozen=True)
class LivePerformance:
    labelled_rows: int  # scored admissions, of this version, with a complete label
    auroc: float | None  # None with no such admission or only one label value among them


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
    return LivePerformance(len(joined), auroc(joined[LABEL].astype(int).to_numpy(), joined["risk"].to_numpy()))

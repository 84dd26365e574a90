"""The clinical baselines on the model's own holdout: LACE and HOSPITAL, scored from their
published points (``transforms/clinical_scores``, computed in gold from silver)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from healthcare_dataops.ml.uncertainty import (
    Interval,
    PairedDifference,
    auroc,
    bootstrap_intervals,
    paired_auroc_difference,
)
from healthcare_dataops.transforms.clinical_scores import HOSPITAL, LACE

BASELINES = {"LACE": LACE, "HOSPITAL": HOSPITAL}
# Published discrimination, for the model card: LACE's C-statistic in its derivation and
# validations, HOSPITAL's in its 9-hospital international validation.
PUBLISHED_AUROC = {"LACE": "0.63–0.69", "HOSPITAL": "0.72"}


@dataclass(frozen=True)
class BaselineScore:
    name: str
    auroc: float | None
    interval: Interval
    model_minus_baseline: PairedDifference

    @property
    def metric_name(self) -> str:
        return f"baseline_{self.name.lower()}_auroc"


def score_baselines(holdout: pd.DataFrame, y: np.ndarray, risk: np.ndarray) -> list[BaselineScore]:
    """Each baseline's AUROC with its interval, and the model's paired margin over it; none
    where the feature table predates the baseline columns."""
    found = []
    for name, column in BASELINES.items():
        if column not in holdout:
            continue
        score = pd.to_numeric(holdout[column], errors="coerce").fillna(0).to_numpy(dtype=float)
        interval = bootstrap_intervals(y, score, ("auroc",))["auroc"]
        found.append(BaselineScore(name, auroc(y, score), interval, paired_auroc_difference(y, risk, score)))
    return found


def lace_auroc(baselines: list[BaselineScore]) -> float | None:
    return next((b.auroc for b in baselines if b.name == "LACE"), None)

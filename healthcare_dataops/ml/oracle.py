"""The best AUROC any model could reach, where the feeds were generated.

``healthcare-dataops generate`` writes the true readmission probability of every discharge it
simulated to ``readmission_truth.csv`` beside the manifest (never into the feeds). Scoring
the holdout with those probabilities gives the ceiling for the model's AUROC on the same
rows. Real deployments have no such file, and the comparison is simply left out.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np
import pandas as pd

from healthcare_dataops import settings
from healthcare_dataops.ml.evaluation import auroc
from healthcare_dataops.privacy import pseudonym_of

TRUTH_FILE = "readmission_truth.csv"


@dataclass(frozen=True)
class OracleComparison:
    rows: int  # holdout rows the truth covers
    model_auroc: float | None
    best_possible_auroc: float | None

    @property
    def gap(self) -> float | None:
        if self.model_auroc is None or self.best_possible_auroc is None:
            return None
        return self.best_possible_auroc - self.model_auroc


def default_truth_path() -> str:
    return os.path.join(settings.data_dir(), "generator", TRUTH_FILE)


def true_probabilities(path: str, key: bytes) -> pd.Series | None:
    """True probability by encounter pseudonym, or None where no truth file exists."""
    if not os.path.isfile(path):
        return None
    truth = pd.read_csv(path, usecols=["encounter_id", "true_probability"], dtype={"encounter_id": str})
    ids = [pseudonym_of(raw, key, "encounter") for raw in truth["encounter_id"]]
    return pd.Series(truth["true_probability"].to_numpy(dtype=float), index=ids, name="true_probability")


def compare(holdout: pd.DataFrame, y: np.ndarray, risk: np.ndarray, truth: pd.Series) -> OracleComparison:
    """Model and true probabilities scored on the same holdout rows (those the truth covers)."""
    truth = truth[~truth.index.duplicated(keep="last")]
    known = holdout["encounter_id"].isin(truth.index).to_numpy()
    if not known.any():
        return OracleComparison(rows=0, model_auroc=None, best_possible_auroc=None)
    best = truth.reindex(holdout.loc[known, "encounter_id"]).to_numpy()
    return OracleComparison(
        rows=int(known.sum()), model_auroc=auroc(y[known], risk[known]), best_possible_auroc=auroc(y[known], best)
    )

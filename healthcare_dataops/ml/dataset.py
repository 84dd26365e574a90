"""``patient_features`` as the model sees it: a temporal split and a numeric model matrix."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from healthcare_dataops.transforms.features import FEATURES, KEY_LABS, LABEL

# Categorical features enter as indicators so the model's signature is all doubles; the age
# band stays out of the matrix (the exact age is in it) and serves the subgroup metrics.
CATEGORICAL = ("sex", "age_band")
MODEL_INPUTS = ("sex_female", *(name for name in FEATURES if name not in CATEGORICAL))
SUBGROUPS = ("sex", "age_band")
LAST_LAB_VALUES = tuple(f"{analyte}_last" for analyte in KEY_LABS)


@dataclass(frozen=True)
class TemporalSplit:
    """Older admissions train the model; the newest, by discharge, are held out."""

    train: pd.DataFrame
    holdout: pd.DataFrame

    @property
    def boundary(self) -> pd.Timestamp:
        return self.holdout["discharged_at"].min()


class NotEnoughData(ValueError):
    """The feature table cannot support a training run; the message says what is missing."""


def labelled_rows(features: pd.DataFrame) -> pd.DataFrame:
    """Only admissions whose 30-day window the data have fully seen."""
    return features[features["label_complete"].fillna(False).astype(bool)]


def with_lab_results(rows: pd.DataFrame) -> pd.DataFrame:
    """Admissions with at least one key lab result before discharge.

    Every stay the model scores had labs drawn on arrival; admissions the EHR's first export
    brought from before the lab feed began have none, and their labels follow whatever
    happened then. Learning from them teaches the model about a population it never scores.
    """
    return rows[rows[list(LAST_LAB_VALUES)].notna().any(axis=1)]


def temporal_split(
    features: pd.DataFrame, holdout_fraction: float, min_rows: int, require_lab_results: bool = True
) -> TemporalSplit:
    labelled = labelled_rows(features)
    rows = with_lab_results(labelled) if require_lab_results else labelled
    rows = rows.sort_values(["discharged_at", "encounter_id"], kind="stable")
    if len(rows) < min_rows:
        without_labs = f", {len(labelled) - len(rows)} of them without lab results" if require_lab_results else ""
        raise NotEnoughData(
            f"patient_features has {len(rows)} admissions with a complete 30-day label "
            f"and lab results (of {len(features)} rows: {len(labelled)} labelled{without_labs}); "
            f"training needs at least {min_rows}. Deliver and materialize more days, or lower "
            "min_labelled_rows."
        )
    holdout_rows = max(1, round(len(rows) * holdout_fraction))
    train, holdout = rows.iloc[:-holdout_rows], rows.iloc[-holdout_rows:]
    # A holdout with one label value leaves the AUROC undefined, which the gate refuses to
    # promote; a training set with one cannot make a classifier at all.
    if train[LABEL].nunique() < 2:
        raise NotEnoughData(
            f"the training set ({len(train)} admissions) has only one label value "
            f"({int(train[LABEL].iloc[0])}); a classifier needs readmitted and not readmitted"
        )
    return TemporalSplit(train=train.reset_index(drop=True), holdout=holdout.reset_index(drop=True))


def model_matrix(rows: pd.DataFrame) -> pd.DataFrame:
    """The model's inputs as float64 in ``MODEL_INPUTS`` order; missing stays NaN."""
    matrix = pd.DataFrame(index=rows.index)
    sex = rows["sex"].astype("string").str.upper()
    matrix["sex_female"] = np.where(sex.isna(), np.nan, (sex == "F").astype(float))
    for name in MODEL_INPUTS[1:]:
        matrix[name] = pd.to_numeric(rows[name], errors="coerce").astype("float64")
    return matrix


def labels(rows: pd.DataFrame) -> np.ndarray:
    return rows[LABEL].astype(int).to_numpy()

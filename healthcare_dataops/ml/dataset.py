"""``patient_features`` as the model sees it: a split that holds in real time, and a numeric
model matrix.

The split orders admissions by ``feed_day`` (when the discharge happened in real time; the
shifted dates in gold move each patient back by up to a month, so ordering by them mixes
admissions across the boundary) and holds out the newest. A training row's label is only
known 30 days after its discharge, so the training rows end ``embargo_days`` before the
holdout begins: no label the model learns from was observed after the holdout started.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from healthcare_dataops.transforms.features import FEATURES, KEY_LABS, LABEL
from healthcare_dataops.transforms.readmission_cohort import READMISSION_WINDOW_DAYS

# Categorical features enter as indicators so the model's signature is all doubles; the age
# band stays out of the matrix (the exact age is in it) and serves the subgroup metrics.
CATEGORICAL = ("sex", "age_band")
MODEL_INPUTS = ("sex_female", *(name for name in FEATURES if name not in CATEGORICAL))
SUBGROUPS = ("sex", "age_band")
LAST_LAB_VALUES = tuple(f"{analyte}_last" for analyte in KEY_LABS)
# The real-time order of gold rows; tables written before it existed fall back to discharged_at.
SPLIT_TIME = "feed_day"
DEFAULT_EMBARGO_DAYS = READMISSION_WINDOW_DAYS


@dataclass(frozen=True)
class TemporalSplit:
    """Older admissions train the model; the newest, in real time, are held out; those in
    between (the embargo) do neither."""

    train: pd.DataFrame
    holdout: pd.DataFrame
    embargoed: int = 0
    embargo_days: float = 0.0

    @property
    def boundary(self) -> pd.Timestamp:
        """The holdout's earliest discharge (shifted, as gold keeps it)."""
        return self.holdout["discharged_at"].min()

    def unseen_patients(self) -> pd.Series:
        """Holdout rows of patients with no row in training."""
        return ~self.holdout["patient_id"].isin(set(self.train["patient_id"]))


class NotEnoughData(ValueError):
    """The feature table cannot support a training run; the message says what is missing."""


def labelled_rows(features: pd.DataFrame, include_history: bool = False) -> pd.DataFrame:
    """Index admissions (no cohort exclusion) whose 30-day window the feeds have fully seen;
    with ``include_history``, also those the first export carried from before the feeds whose
    window closed before the newest discharge (their labels come from the export, not from
    the feeds, and their lab results were never delivered)."""
    complete = features["label_complete"].fillna(False).astype(bool)
    if include_history and "before_feeds" in features:
        closed = features["feed_day"] + READMISSION_WINDOW_DAYS <= features["feed_day"].max()
        complete |= features["before_feeds"].fillna(False).astype(bool) & closed & features[LABEL].notna()
    if "cohort_exclusion" in features:
        complete &= features["cohort_exclusion"].isna()
    return features[complete]


def with_lab_results(rows: pd.DataFrame) -> pd.DataFrame:
    """Admissions with at least one key lab result before discharge.

    Every stay the model scores had labs drawn on arrival; admissions the EHR's first export
    brought from before the lab feed began have none, and their labels follow whatever
    happened then. Learning from them teaches the model about a population it never scores.
    """
    return rows[rows[list(LAST_LAB_VALUES)].notna().any(axis=1)]


def monitored_rows(features: pd.DataFrame, require_lab_results: bool = True,
                   include_history: bool = False) -> pd.DataFrame:
    """The admissions a model is built on and scores: index admissions the feeds delivered
    (and the history before them where the model learnt from it), with a lab result where the
    model requires one."""
    keep = pd.Series(True, index=features.index)
    if "cohort_exclusion" in features:
        keep &= features["cohort_exclusion"].isna()
    if "before_feeds" in features and not include_history:
        keep &= ~features["before_feeds"].fillna(False).astype(bool)
    if require_lab_results:
        keep &= features[list(LAST_LAB_VALUES)].notna().any(axis=1)
    return features[keep]


def temporal_split(
    features: pd.DataFrame, holdout_fraction: float, min_rows: int, require_lab_results: bool = True,
    embargo_days: float = DEFAULT_EMBARGO_DAYS, include_history: bool = False,
) -> TemporalSplit:
    labelled = labelled_rows(features, include_history)
    rows = with_lab_results(labelled) if require_lab_results else labelled
    if SPLIT_TIME in rows:
        key, embargo = SPLIT_TIME, embargo_days
    else:  # written before feed_day existed: shifted time, as then
        key, embargo = "discharged_at", pd.Timedelta(days=embargo_days)
    rows = rows.sort_values([key, "encounter_id"], kind="stable")
    if len(rows) < min_rows:
        without_labs = f", {len(labelled) - len(rows)} of them without lab results" if require_lab_results else ""
        raise NotEnoughData(
            f"patient_features has {len(rows)} admissions with a complete 30-day label "
            f"and lab results (of {len(features)} rows: {len(labelled)} labelled index admissions{without_labs}); "
            f"training needs at least {min_rows}. Deliver and materialize more days, or lower "
            "min_labelled_rows."
        )
    holdout_rows = max(1, round(len(rows) * holdout_fraction))
    holdout = rows.iloc[-holdout_rows:]
    older = rows.iloc[:-holdout_rows]
    train = older[older[key] <= holdout[key].min() - embargo]
    # A holdout with one label value leaves the AUROC undefined, which the gate refuses to
    # promote; a training set with one cannot make a classifier at all.
    if train[LABEL].nunique() < 2:
        raise NotEnoughData(
            f"the training set ({len(train)} admissions discharged {embargo_days:g} days or more before the "
            f"newest {len(holdout)} held out; {len(older) - len(train)} in between are embargoed) has "
            f"{'no rows' if train.empty else f'only one label value ({int(train[LABEL].iloc[0])})'}; a "
            "classifier needs readmitted and not readmitted. Deliver more days, or lower holdout_fraction."
        )
    return TemporalSplit(train=train.reset_index(drop=True), holdout=holdout.reset_index(drop=True),
                         embargoed=len(older) - len(train), embargo_days=float(embargo_days))


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

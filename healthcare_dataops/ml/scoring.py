"""Scoring current inpatients with a registered model version.

A score is the risk of 30-day readmission if the stay ended at ``as_of``: the features are
those the stay would have were it discharged then (its length of stay so far, its labs so
far), which is how every training row is described at its discharge. Each row keeps the
inputs it was scored on, so the scored population can be monitored and a score explained.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pyarrow as pa

from healthcare_dataops.ml.dataset import CATEGORICAL
from healthcare_dataops.ml.explanations import EXPLANATION_TYPE, explain
from healthcare_dataops.ml.registry import LoadedModel
from healthcare_dataops.ml.training import predict_risk
from healthcare_dataops.transforms.features import FEATURES

SCORES_SCHEMA = pa.schema([
    ("patient_id", pa.string()),
    ("encounter_id", pa.string()),
    ("admitted_at", pa.timestamp("us", tz="UTC")),
    ("as_of", pa.timestamp("us", tz="UTC")),
    ("risk", pa.float64()),
    ("model_name", pa.string()),
    ("model_version", pa.string()),
    ("scored_at", pa.timestamp("us", tz="UTC")),
    ("delivery_date", pa.date32()),
    # The features that pushed this stay's risk up or down most, in clinical words.
    ("explanation", EXPLANATION_TYPE),
    # The inputs it was scored on, for the monitor of the scored population.
    *[(name, pa.string() if name in CATEGORICAL else pa.float64()) for name in FEATURES],
])


def score(model: LoadedModel, stays: pd.DataFrame, delivery_date: dt.date, scored_at: dt.datetime) -> pa.Table:
    """One row per open stay: its risk of 30-day readmission if discharged at ``as_of``, and
    why (the same model's contributions, ``explanations.explain``)."""
    frame = pd.DataFrame({
        "patient_id": stays["patient_id"],
        "encounter_id": stays["encounter_id"],
        "admitted_at": stays["admitted_at"],
        "as_of": stays["as_of"],
        "risk": predict_risk(model.model, stays) if len(stays) else pd.Series(dtype="float64"),
        "model_name": model.name,
        "model_version": model.version,
        "scored_at": scored_at,
        "delivery_date": delivery_date,
        "explanation": pd.Series(explain(model.model, stays), index=stays.index, dtype="object"),
    })
    for name in FEATURES:
        values = stays[name] if name in stays else pd.Series(None, index=stays.index)
        frame[name] = values.astype("object") if name in CATEGORICAL else pd.to_numeric(values, errors="coerce")
    return pa.Table.from_pandas(frame.sort_values("risk", ascending=False), schema=SCORES_SCHEMA, preserve_index=False)

"""The newest scored day's stays, ranked, with the change since the day before: what the
worklist lists and what its CSV download holds. Pseudonymous: patient and encounter pseudonyms,
de-identified (shifted) dates, and the length of stay, which the shift leaves exact."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd
import pyarrow.compute as pc

from healthcare_dataops.lakehouse import delta_tables

SCORES_TABLE = "patient_risk_scores"
# Risk bands as the ward reads them; "high" matches the scores' stays_above_30pct_risk.
BANDS = (("high", 0.30), ("medium", 0.15), ("low", 0.0))
LIST_COLUMNS = ("patient_id", "encounter_id", "admitted_at", "length_of_stay_days", "risk", "risk_band",
                "risk_change", "model_version")


@dataclass(frozen=True)
class Worklist:
    delivery_day: dt.date | None
    stays: pd.DataFrame  # LIST_COLUMNS and "explanation", highest risk first


def risk_band(risk: float) -> str:
    return next(name for name, floor in BANDS if risk >= floor)


def load(scores_uri: str, storage_options: dict[str, str]) -> Worklist:
    """The newest delivery day's snapshot, each stay's risk change against the day before
    (None for a stay not scored then)."""
    days = delta_tables.read_columns(scores_uri, ["delivery_date"], storage_options)
    if days is None or days.num_rows == 0:
        return Worklist(None, pd.DataFrame(columns=[*LIST_COLUMNS, "explanation"]))
    newest = pc.max(days.column("delivery_date")).as_py()
    previous = newest - dt.timedelta(days=1)
    table = delta_tables.open_table(scores_uri, storage_options).to_pyarrow_dataset().to_table(
        filter=pc.field("delivery_date").isin([newest, previous]))
    frame = table.to_pandas()
    today = frame[frame["delivery_date"] == newest].copy()
    before = frame[frame["delivery_date"] == previous].set_index("encounter_id")["risk"]
    today["risk_change"] = today["risk"] - today["encounter_id"].map(before)
    today["length_of_stay_days"] = (today["as_of"] - today["admitted_at"]).dt.total_seconds() / 86400
    today["risk_band"] = today["risk"].map(risk_band)
    today = today.sort_values(["risk", "encounter_id"], ascending=[False, True], kind="stable")
    return Worklist(newest, today[[*LIST_COLUMNS, "explanation"]].reset_index(drop=True))


def select(stays: pd.DataFrame, bands: list[str] | None, min_days: float | None,
           max_days: float | None) -> pd.DataFrame:
    """The stays in ``bands`` (all where None) whose days in hospital lie in [min_days, max_days]."""
    keep = pd.Series(True, index=stays.index)
    if bands is not None:
        keep &= stays["risk_band"].isin(bands)
    if min_days is not None:
        keep &= stays["length_of_stay_days"] >= min_days
    if max_days is not None:
        keep &= stays["length_of_stay_days"] <= max_days
    return stays[keep]


def as_csv(stays: pd.DataFrame) -> str:
    """The listed columns, full pseudonyms, and the reasons in words, one stay a line."""
    out = stays[list(LIST_COLUMNS)].copy()
    out["reasons"] = stays["explanation"].map(
        lambda reasons: "; ".join(f"{'+' if r['contribution'] > 0 else '-'} {r['text']}" for r in reasons)
        if reasons is not None else "")
    return out.to_csv(index=False, float_format="%.4f")

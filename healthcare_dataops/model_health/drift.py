"""Feature drift between the population the champion was built on and a recent window.

Each feature's shift is an effect size against a threshold calibrated on control windows
(``distances``), not a p-value; and the window has drifted when the features that moved carry
at least ``threshold`` of the champion's feature importance (XGBoost's total gain): a strong
shift in what the model relies on counts, one in what it ignores does not, however many.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from healthcare_dataops.ml.dataset import CATEGORICAL
from healthcare_dataops.model_health import distances
from healthcare_dataops.transforms.features import FEATURES

if TYPE_CHECKING:
    import xgboost as xgb

NUMERICAL = tuple(name for name in FEATURES if name not in CATEGORICAL)
# The share of the champion's importance whose features drifted at which the window has: one
# feature the model leans on (in the drift scenarios, creatinine's last value carries 0.2 to 0.3),
# or several of middling weight; no number of features it hardly uses.
DEFAULT_IMPORTANCE_THRESHOLD = 0.15
METHODS = {False: "Wasserstein distance (normed)", True: "Jensen-Shannon distance"}


@dataclass(frozen=True)
class FeatureDrift:
    column: str
    method: str
    distance: float
    threshold: float  # calibrated: what a control window of this size reaches by chance
    importance: float  # the champion's share of total gain on this feature
    drifted: bool

    @property
    def ratio(self) -> float:
        return self.distance / self.threshold


@dataclass(frozen=True)
class DriftResult:
    columns: tuple[FeatureDrift, ...]
    # Fewer than a handful of values on one side: not compared.
    skipped_columns: tuple[str, ...]
    threshold: float

    @property
    def drifted_columns(self) -> tuple[str, ...]:
        return tuple(c.column for c in self.columns if c.drifted)

    @property
    def drift_share(self) -> float:
        """The share of the champion's feature importance in features that drifted."""
        return float(sum(c.importance for c in self.columns if c.drifted))

    @property
    def dataset_drift(self) -> bool:
        return bool(self.columns) and self.drift_share >= self.threshold


def feature_importance(model: xgb.XGBClassifier) -> dict[str, float]:
    """Total gain per feature as a share of the model's (the female indicator is ``sex``; a
    feature the trees never split on has 0)."""
    gain = model.get_booster().get_score(importance_type="total_gain")
    total = sum(gain.values()) or 1.0
    by_feature = dict.fromkeys(FEATURES, 0.0)
    for model_input, value in gain.items():
        by_feature["sex" if model_input == "sex_female" else model_input] += value / total
    return by_feature


def current_window(features: pd.DataFrame, window_days: int) -> pd.DataFrame:
    """Rows discharged in the ``window_days`` days up to the newest discharge, in real time
    (``feed_day``) where the table has it, else on the table's shifted clock."""
    time = features["feed_day"] if "feed_day" in features else pd.to_datetime(features["discharged_at"], utc=True)
    if time.isna().all():
        return features.iloc[0:0]
    span = window_days if "feed_day" in features else pd.Timedelta(days=window_days)
    return features[time >= time.max() - span]


def sample(rows: pd.DataFrame, max_rows: int, seed: int) -> pd.DataFrame:
    """A seeded random sample, so a rerun of the same day gives the same report."""
    return rows if len(rows) <= max_rows else rows.sample(n=max_rows, random_state=seed)


def typed(rows: pd.DataFrame, columns: tuple[str, ...] = FEATURES) -> pd.DataFrame:
    """float64 numbers and object strings: Evidently fails on pandas' nullable Int32 columns."""
    frame = pd.DataFrame(index=rows.index)
    for name in columns:
        if name in CATEGORICAL:
            frame[name] = rows[name].astype("object").where(rows[name].notna(), None)
        else:
            frame[name] = pd.to_numeric(rows[name], errors="coerce").astype("float64")
    return frame


def compare(reference: pd.DataFrame, current: pd.DataFrame, importance: dict[str, float], threshold: float,
            html_path: Path | None = None, seed: int = 7) -> DriftResult:
    """Every feature's effect size against its calibrated threshold, weighted by
    ``importance``; Evidently's HTML report of the same numbers goes to ``html_path``."""
    ref, cur = typed(reference), typed(current)
    kept = [c for c in FEATURES if distances.comparable(ref[c], cur[c])]
    thresholds = distances.calibrated_thresholds(ref, len(cur), kept, set(CATEGORICAL), seed=seed)
    columns = []
    for column in kept:
        categorical = column in CATEGORICAL
        found = distances.distance(ref[column], cur[column], categorical)
        columns.append(FeatureDrift(column, METHODS[categorical], found, thresholds[column],
                                    importance.get(column, 0.0), found >= thresholds[column]))
    result = DriftResult(tuple(columns), tuple(c for c in FEATURES if c not in kept), threshold)
    if html_path is not None:
        from healthcare_dataops.model_health.evidently_report import save_html

        save_html(ref[kept], cur[kept], thresholds, html_path)
    return result


def markdown_table(result: DriftResult) -> str:
    """Drifted features first, then by importance; per-feature statistics only, never rows."""
    lines = ["| feature | importance | effect size | method | calibrated threshold | drifted |",
             "| --- | --- | --- | --- | --- | --- |"]
    for c in sorted(result.columns, key=lambda c: (not c.drifted, -c.importance)):
        lines.append(f"| {c.column} | {c.importance:.3f} | {c.distance:.3g} | {c.method} | {c.threshold:.3g} "
                     f"| {'yes' if c.drifted else 'no'} |")
    lines += [f"| {name} | | | not compared: too few values on one side | | |" for name in result.skipped_columns]
    return "\n".join(lines)

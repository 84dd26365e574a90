"""Feature drift between the population the champion was built on and a recent window.

Each feature's shift is an effect size against a threshold calibrated on control windows
(``distances``), not a p-value. A feature that moved beyond its threshold contributes its share
of the champion's feature importance (XGBoost's total gain) times how far beyond it moved (the
effect size over the threshold, at most ``MAX_RATIO``); the window has drifted when the
contributions reach ``threshold``. A strong shift in what the model relies on counts; a feature
that crosses its threshold by chance counts little; shifts in what the model ignores, however
many and however strong, hardly count.
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
# The drift score at which the window has drifted: a feature carrying a tenth of the model's
# importance that moved twice as far as chance takes it, or several of middling weight; not a
# chance crossing of even the model's top feature (importance about 0.15 at a ratio near 1).
DEFAULT_IMPORTANCE_THRESHOLD = 0.2
# Beyond this many times its threshold a shift counts no more: one broken feature must not
# outweigh the importance the model gives it.
MAX_RATIO = 3.0
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

    @property
    def contribution(self) -> float:
        """Its importance times how far beyond its threshold it moved (0 below it)."""
        return self.importance * min(self.ratio, MAX_RATIO) if self.drifted else 0.0


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
    def score(self) -> float:
        """The importance-weighted effect of the features that moved beyond their thresholds."""
        return float(sum(c.contribution for c in self.columns))

    @property
    def dataset_drift(self) -> bool:
        return bool(self.columns) and self.score >= self.threshold


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
    """A seeded random sample, so a rerun of the same day gives the same report: drawn from
    the rows in encounter order, as the engine may write them in any order."""
    if len(rows) <= max_rows:
        return rows
    ordered = rows.sort_values("encounter_id", kind="stable") if "encounter_id" in rows else rows
    return ordered.sample(n=max_rows, random_state=seed)


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
    """The features by what they contribute, then by importance; per-feature statistics only."""
    lines = ["| feature | importance | effect size | method | calibrated threshold | drifted | contribution |",
             "| --- | --- | --- | --- | --- | --- | --- |"]
    for c in sorted(result.columns, key=lambda c: (-c.contribution, not c.drifted, -c.importance)):
        lines.append(f"| {c.column} | {c.importance:.3f} | {c.distance:.3g} | {c.method} | {c.threshold:.3g} "
                     f"| {'yes' if c.drifted else 'no'} | {c.contribution:.3f} |")
    lines += [f"| {name} | | | not compared: too few values on one side | | | |" for name in result.skipped_columns]
    return "\n".join(lines)

"""Feature drift between the rows a model trained on and a recent window, with Evidently."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from healthcare_dataops.ml.dataset import CATEGORICAL
from healthcare_dataops.transforms.features import FEATURES

NUMERICAL = tuple(name for name in FEATURES if name not in CATEGORICAL)
# Evidently picks its tests by the reference's size alone: above 1,000 rows, distances with a
# fixed 0.1 threshold, made for large samples on both sides. Against a window of a few dozen
# admissions sampling noise alone passes 0.1 (a steady synthetic population "drifted" in 19 of
# 35 features at 68 rows), so where either side is this small the p-value tests it uses for
# small samples are chosen instead: they account for both sizes.
SMALL_SAMPLE_ROWS = 1000


@dataclass(frozen=True)
class ColumnDrift:
    column: str
    test: str  # Evidently's method: "ks", "chisquare", "Wasserstein distance (normed)", ...
    score: float
    threshold: float
    drifted: bool


@dataclass(frozen=True)
class DriftResult:
    columns: tuple[ColumnDrift, ...]
    # Entirely null on one side: Evidently cannot compare them (it raises), so they are left out.
    skipped_columns: tuple[str, ...]
    threshold: float

    @property
    def drifted_columns(self) -> tuple[str, ...]:
        return tuple(c.column for c in self.columns if c.drifted)

    @property
    def drift_share(self) -> float:
        return len(self.drifted_columns) / len(self.columns) if self.columns else 0.0

    @property
    def dataset_drift(self) -> bool:
        return bool(self.columns) and self.drift_share >= self.threshold


def current_window(features: pd.DataFrame, window_days: int) -> pd.DataFrame:
    """Rows discharged in the ``window_days`` days up to the newest discharge in the table:
    the table's own clock, since gold dates are shifted per patient and the feeds lag."""
    discharged = pd.to_datetime(features["discharged_at"], utc=True)
    if discharged.isna().all():
        return features.iloc[0:0]
    return features[discharged >= discharged.max() - pd.Timedelta(days=window_days)]


def sample(rows: pd.DataFrame, max_rows: int, seed: int) -> pd.DataFrame:
    """A seeded random sample, so a rerun of the same day gives the same report."""
    return rows if len(rows) <= max_rows else rows.sample(n=max_rows, random_state=seed)


def compare(reference: pd.DataFrame, current: pd.DataFrame, threshold: float, html_path: Path) -> DriftResult:
    """Evidently's DataDriftPreset over the model's features; the HTML report goes to ``html_path``."""
    # Imported here: it takes seconds, and loading the definitions must not pay for it. Its
    # dependencies warn of their own deprecations on import; nothing to act on here.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        from evidently import DataDefinition, Dataset, Report
        from evidently.presets import DataDriftPreset

    ref, cur = _typed(reference), _typed(current)
    skipped = tuple(c for c in FEATURES if ref[c].isna().all() or cur[c].isna().all())
    kept = [c for c in FEATURES if c not in skipped]
    definition = DataDefinition(
        numerical_columns=[c for c in kept if c in NUMERICAL],
        categorical_columns=[c for c in kept if c in CATEGORICAL],
    )
    with warnings.catch_warnings():
        # numpy warns on columns without infinite values or variance; the tests handle them.
        warnings.simplefilter("ignore", RuntimeWarning)
        small = min(len(ref), len(cur)) <= SMALL_SAMPLE_ROWS
        tests = {"num_method": "ks", "cat_method": "chisquare"} if small else {}
        snapshot = Report([DataDriftPreset(drift_share=threshold, **tests)], include_tests=True).run(
            current_data=Dataset.from_pandas(cur[kept], data_definition=definition),
            reference_data=Dataset.from_pandas(ref[kept], data_definition=definition),
        )
    html_path.parent.mkdir(parents=True, exist_ok=True)
    snapshot.save_html(str(html_path))
    return DriftResult(_column_drifts(snapshot.dict()), skipped, threshold)


def _typed(rows: pd.DataFrame) -> pd.DataFrame:
    """float64 numbers and object strings: Evidently fails on pandas' nullable Int32 columns."""
    frame = pd.DataFrame(index=rows.index)
    for name in NUMERICAL:
        frame[name] = pd.to_numeric(rows[name], errors="coerce").astype("float64")
    for name in CATEGORICAL:
        frame[name] = rows[name].astype("object").where(rows[name].notna(), None)
    return frame[list(FEATURES)]


def _column_drifts(found: dict) -> tuple[ColumnDrift, ...]:
    """One ``ValueDrift`` metric per column (its value is the score); the ``drift`` test bound to
    it fails exactly when Evidently detects drift, whichever way the method's score points
    (p-values drift below the threshold, distances above it)."""
    failed = {
        test["metric_config"]["metric_id"]
        for test in found["tests"]
        if test["id"] == "drift" and test["status"] == "FAIL"
    }
    return tuple(
        ColumnDrift(
            column=metric["config"]["column"],
            test=metric["config"]["method"],
            score=float(metric["value"]),
            threshold=float(metric["config"]["threshold"]),
            drifted=metric["id"] in failed,
        )
        for metric in found["metrics"]
        if metric["config"]["type"].endswith(":ValueDrift")
    )


def markdown_table(result: DriftResult) -> str:
    """Drifted columns first; per-column statistics only, never rows."""
    lines = ["| column | test | score | threshold | drifted |", "| --- | --- | --- | --- | --- |"]
    for c in sorted(result.columns, key=lambda c: not c.drifted):
        lines.append(f"| {c.column} | {c.test} | {c.score:.4g} | {c.threshold:g} | {'yes' if c.drifted else 'no'} |")
    lines += [f"| {name} | not compared: entirely null on one side | | | |" for name in result.skipped_columns]
    return "\n".join(lines)

"""Evidently's HTML data drift report of the same effect sizes and calibrated thresholds the
decision uses: the distances are registered with Evidently as its statistical tests, so the
report and the metadata show the same numbers."""

from __future__ import annotations

import warnings
from pathlib import Path

import pandas as pd

from healthcare_dataops.ml.dataset import CATEGORICAL
from healthcare_dataops.model_health import distances

NUMERICAL_TEST = "calibrated_wasserstein_normed"
CATEGORICAL_TEST = "calibrated_jensenshannon"
_registered = False


def _register() -> None:
    global _registered
    if _registered:
        return
    from evidently.legacy.calculations.stattests.registry import StatTest, register_stattest
    from evidently.legacy.core import ColumnType

    def numerical(reference, current, feature_type, threshold):
        found = distances.normed_wasserstein(reference, current)
        return found, found >= threshold

    def categorical(reference, current, feature_type, threshold):
        found = distances.jensen_shannon(reference, current)
        return found, found >= threshold

    register_stattest(StatTest(name=NUMERICAL_TEST, display_name="Wasserstein distance (normed)",
                               allowed_feature_types=[ColumnType.Numerical], default_threshold=0.1), numerical)
    register_stattest(StatTest(name=CATEGORICAL_TEST, display_name="Jensen-Shannon distance",
                               allowed_feature_types=[ColumnType.Categorical], default_threshold=0.1), categorical)
    _registered = True


def save_html(reference: pd.DataFrame, current: pd.DataFrame, thresholds: dict[str, float],
              path: Path) -> dict[str, float]:
    """Writes the report; returns each column's score as Evidently computed it."""
    # Imported here: it takes seconds, and loading the definitions must not pay for it. Its
    # dependencies warn of their own deprecations on import; nothing to act on here.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        from evidently import DataDefinition, Dataset, Report
        from evidently.presets import DataDriftPreset
    _register()
    columns = list(reference.columns)
    definition = DataDefinition(numerical_columns=[c for c in columns if c not in CATEGORICAL],
                                categorical_columns=[c for c in columns if c in CATEGORICAL])
    methods = {c: CATEGORICAL_TEST if c in CATEGORICAL else NUMERICAL_TEST for c in columns}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        snapshot = Report([DataDriftPreset(per_column_method=methods, per_column_threshold=thresholds)],
                          include_tests=True).run(
            current_data=Dataset.from_pandas(current, data_definition=definition),
            reference_data=Dataset.from_pandas(reference, data_definition=definition),
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    snapshot.save_html(str(path))
    return {metric["config"]["column"]: float(metric["value"]) for metric in snapshot.dict()["metrics"]
            if metric["config"]["type"].endswith(":ValueDrift")}

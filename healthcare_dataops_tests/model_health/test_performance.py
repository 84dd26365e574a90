"""The champion's live AUROC: its own last score of each admission, against the label, with
its interval; and when it is performance drift."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from healthcare_dataops.model_health.performance import live_performance, performance_drift

T0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def _features(labels: dict[str, int | None]) -> pd.DataFrame:
    return pd.DataFrame({
        "encounter_id": list(labels),
        "readmitted_30d": [0 if y is None else y for y in labels.values()],
        "label_complete": [y is not None for y in labels.values()],
    })


def _score(encounter: str, day: int, risk: float, version: str = "3") -> dict:
    return {"encounter_id": encounter, "as_of": T0 + dt.timedelta(days=day), "risk": risk, "model_version": version}


def test_each_admission_counts_once_with_the_versions_last_score():
    features = _features({"a": 1, "b": 0, "c": 0, "open": None})
    scores = pd.DataFrame([
        _score("a", 0, 0.1), _score("a", 2, 0.9),  # the last score, at day 2, ranks it first
        _score("b", 0, 0.5), _score("c", 1, 0.2),
        _score("b", 3, 0.99, version="2"),  # another version's score is not the champion's
        _score("open", 1, 0.7),  # its label has not arrived
    ])
    live = live_performance(scores, features, "3")
    assert live.labelled_rows == 3 and live.auroc == pytest.approx(1.0)


def test_without_scores_or_labels_there_is_no_live_auroc():
    features = _features({"a": 1, "b": None})
    assert live_performance(None, features, "3") == live_performance(pd.DataFrame(), features, "3")
    assert live_performance(None, features, "3").labelled_rows == 0
    only_open = pd.DataFrame([_score("b", 0, 0.4)])
    assert live_performance(only_open, features, "3").auroc is None
    one_class = live_performance(pd.DataFrame([_score("a", 0, 0.4)]), features, "3")
    assert (one_class.labelled_rows, one_class.auroc) == (1, None)


def _labelled(n: int, positives: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    labels = {f"e{k}": int(k < positives) for k in range(n)}
    return _features(labels), pd.DataFrame([_score(e, 0, 0.5) for e in labels])


def test_the_live_auroc_carries_its_interval_and_judges_only_with_enough_labels():
    features, scores = _labelled(120, 30)
    scores["risk"] = [0.9 - 0.005 * k for k in range(120)]  # ranks the readmitted first: AUROC 1
    live = live_performance(scores, features, "3")
    assert live.auroc == pytest.approx(1.0) and live.positives == 30 and live.interval.low > 0.95
    assert not performance_drift(live, 0.8).drifted  # better live than on its holdout
    few = live_performance(scores.head(15), features, "3")
    verdict = performance_drift(few, 0.8)
    assert not verdict.drifted and "too few" in verdict.reason


def test_a_live_auroc_wholly_below_the_holdout_is_performance_drift():
    features, scores = _labelled(200, 50)
    rng = np.random.default_rng(2)
    scores["risk"] = rng.random(200)  # no better than chance on the admissions it scored
    live = live_performance(scores, features, "3")
    verdict = performance_drift(live, 0.85)
    assert verdict.drifted and "whole interval is below the champion's holdout AUROC 0.850" in verdict.reason
    assert not performance_drift(live, 0.55).drifted

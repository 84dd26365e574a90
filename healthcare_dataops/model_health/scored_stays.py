"""The open stays being scored: their inputs and their scores.

Open stays are described as of the scoring time (length of stay so far, labs so far), so they
differ from the discharged rows the champion learnt from by design; they are watched against
the stays scored in the window before (a moving reference), with the same calibrated, importance
weighted drift as the discharged rows, and the scores themselves by the same effect size. How
far they sit from the champion's population (the train/serve skew) is measured beside it.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from healthcare_dataops.model_health import distances
from healthcare_dataops.model_health.drift import DriftResult, compare, typed
from healthcare_dataops.transforms.features import FEATURES

SCORE_READ_COLUMNS = ("encounter_id", "as_of", "risk", "model_version", "delivery_date", *FEATURES)
MIN_STAYS = 20  # per window, to compare windows at all
SKEW_SHOWN = 5


@dataclass(frozen=True)
class ScoredStays:
    current_stays: int
    previous_stays: int
    drift: DriftResult | None  # None: a window has too few stays (or the inputs were not kept)
    score_shift: float | None
    score_threshold: float | None
    mean_risk: float | None
    previous_mean_risk: float | None
    # The features of the scored stays farthest from the champion's population, by effect size.
    skew: tuple[tuple[str, float], ...]
    # Of the scored stays, the share whose length of stay so far is below the shortest stay of
    # the champion's population: where the model scores what it never saw.
    below_shortest_stay: float | None

    @property
    def scores_drifted(self) -> bool:
        return self.score_shift is not None and self.score_threshold is not None and \
            self.score_shift >= self.score_threshold

    @property
    def drifted(self) -> bool:
        return (self.drift is not None and self.drift.dataset_drift) or self.scores_drifted


def latest_per_stay(scores: pd.DataFrame) -> pd.DataFrame:
    return scores.sort_values("as_of", kind="stable").drop_duplicates("encounter_id", keep="last")


def monitor(scores: pd.DataFrame | None, population: pd.DataFrame, importance: dict[str, float], threshold: float,
            window_days: int, seed: int = 7) -> ScoredStays:
    if scores is None or scores.empty:
        return ScoredStays(0, 0, None, None, None, None, None, (), None)
    days = pd.to_datetime(scores["delivery_date"])
    last = days.max()
    current = latest_per_stay(scores[days > last - pd.Timedelta(days=window_days)])
    previous = latest_per_stay(scores[(days <= last - pd.Timedelta(days=window_days))
                                      & (days > last - pd.Timedelta(days=2 * window_days))])
    has_inputs = current[list(FEATURES)].notna().any().any()
    drift = score_shift = score_threshold = None
    if len(previous) >= MIN_STAYS and len(current) >= MIN_STAYS and has_inputs:
        drift = compare(previous, current, importance, threshold, seed=seed)
        risk_before, risk_now = previous["risk"].astype(float), current["risk"].astype(float)
        score_shift = distances.normed_wasserstein(risk_before, risk_now)
        score_threshold = distances.calibrated_thresholds(previous[["risk"]].astype(float), len(current), ["risk"],
                                                          set(), seed=seed)["risk"]
    skew: tuple[tuple[str, float], ...] = ()
    below = None
    if has_inputs and len(population):
        now, built_on = typed(current), typed(population)
        found = [(c, distances.distance(built_on[c], now[c], c in ("sex", "age_band")))
                 for c in FEATURES if distances.comparable(built_on[c], now[c])]
        skew = tuple(sorted(found, key=lambda item: -item[1])[:SKEW_SHOWN])
        shortest = built_on["length_of_stay_days"].min()
        below = float((now["length_of_stay_days"] < shortest).mean())
    mean = lambda frame: float(frame["risk"].mean()) if len(frame) else None  # noqa: E731
    return ScoredStays(len(current), len(previous), drift, score_shift, score_threshold, mean(current),
                       mean(previous), skew, below)

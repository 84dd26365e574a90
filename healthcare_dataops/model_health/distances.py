"""How far a feature's distribution moved, as an effect size, and how far it moves by chance.

A p-value answers whether two samples differ at all, which with thousands of rows they always
do, and with thirty-five features some do by chance every day. An effect size answers how
much: numbers by the Wasserstein distance normed by the reference's standard deviation
(Evidently's "Wasserstein distance (normed)": how far, in standard deviations, the values had
to move), categories by the Jensen-Shannon distance of their shares (0 to 1). Nulls are left
out of both; a side with no value leaves the feature uncompared.

Each feature's threshold is calibrated on control windows: samples of the current window's
size drawn from the reference, compared with the rest of it, show how far the feature moves
with nothing changed at that size; the threshold is the 99th percentile of those distances,
and never below a floor (``MIN_EFFECT``) under which no change matters however many rows show it.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

MIN_EFFECT = 0.1  # Evidently's default threshold for both distances
CONTROL_DRAWS = 100
CONTROL_QUANTILE = 0.99
MIN_ROWS = 5  # fewer non-null values on a side: not compared


def _normed_wasserstein(reference: np.ndarray, current: np.ndarray) -> float:
    from scipy.stats import wasserstein_distance

    return float(wasserstein_distance(reference, current) / max(float(np.std(reference)), 0.001))


def _jensen_shannon(reference_counts: np.ndarray, current_counts: np.ndarray) -> float:
    from scipy.spatial.distance import jensenshannon

    reference_shares, current_shares = reference_counts / reference_counts.sum(), current_counts / current_counts.sum()
    return float(jensenshannon(reference_shares, current_shares, base=2))


def normed_wasserstein(reference: pd.Series, current: pd.Series) -> float:
    return _normed_wasserstein(reference.dropna().to_numpy(dtype=float), current.dropna().to_numpy(dtype=float))


def jensen_shannon(reference: pd.Series, current: pd.Series) -> float:
    ref, cur = reference.dropna().astype(str), current.dropna().astype(str)
    categories = sorted(set(ref) | set(cur))
    counts = lambda values: values.value_counts().reindex(categories, fill_value=0).to_numpy(dtype=float)  # noqa: E731
    return _jensen_shannon(counts(ref), counts(cur))


def distance(reference: pd.Series, current: pd.Series, categorical: bool) -> float:
    return (jensen_shannon if categorical else normed_wasserstein)(reference, current)


def comparable(reference: pd.Series, current: pd.Series) -> bool:
    return reference.notna().sum() >= MIN_ROWS and current.notna().sum() >= MIN_ROWS


def calibrated_thresholds(
    reference: pd.DataFrame, current_rows: int, columns: Sequence[str], categorical: set[str],
    draws: int = CONTROL_DRAWS, seed: int = 7,
) -> dict[str, float]:
    """Per column: the distance a control window of ``current_rows`` rows (at most half the
    reference) reaches in ``CONTROL_QUANTILE`` of ``draws`` draws, floored at MIN_EFFECT."""
    size = max(1, min(current_rows, len(reference) // 2))
    # The seeded draws pick rows by position: in a canonical order, the thresholds depend on
    # the rows alone, not on the order the engine wrote them in (which varies from run to run).
    reference = reference.sort_values(list(columns), kind="stable", na_position="last").reset_index(drop=True)
    rng = np.random.default_rng(seed)
    chosen = np.zeros((draws, len(reference)), dtype=bool)
    for draw in range(draws):
        chosen[draw, rng.choice(len(reference), size=size, replace=False)] = True
    thresholds = {}
    for column in columns:
        present = reference[column].notna().to_numpy()
        if column in categorical:
            codes, categories = pd.factorize(reference[column][present].astype(str))
            one_hot = np.eye(len(categories))[codes]  # rows × categories
        else:
            values = reference[column][present].to_numpy(dtype=float)
        found = []
        for mask in chosen[:, present]:
            if min(mask.sum(), (~mask).sum()) < MIN_ROWS:
                continue
            if column in categorical:
                found.append(_jensen_shannon(one_hot[~mask].sum(axis=0), one_hot[mask].sum(axis=0)))
            else:
                found.append(_normed_wasserstein(values[~mask], values[mask]))
        thresholds[column] = max(MIN_EFFECT, float(np.quantile(found, CONTROL_QUANTILE)) if found else MIN_EFFECT)
    return thresholds

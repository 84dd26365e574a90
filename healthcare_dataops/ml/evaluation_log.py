"""What a training run records of its evaluation in MLflow, beside the model: every holdout
metric with its interval, the same on unseen patients, the baselines and the champion with
the paired margins, the ceiling, subgroups, plots, and the model card."""

from __future__ import annotations

from healthcare_dataops.ml import tracking
from healthcare_dataops.ml.gating import CurrentChampion
from healthcare_dataops.ml.holdout import Evaluation
from healthcare_dataops.ml.model_card import ARTIFACT
from healthcare_dataops.ml.uncertainty import PairedDifference


def _difference(name: str, found: PairedDifference) -> dict[str, float | None]:
    return {name: found.difference, f"{name}_ci_low": found.interval.low, f"{name}_ci_high": found.interval.high}


def comparison_metrics(found: Evaluation, champion: CurrentChampion | None) -> dict[str, float]:
    values: dict[str, float | None] = {}
    for baseline in found.baselines:
        values |= {baseline.metric_name: baseline.auroc, f"{baseline.metric_name}_ci_low": baseline.interval.low,
                   f"{baseline.metric_name}_ci_high": baseline.interval.high}
        values |= _difference(f"auroc_minus_{baseline.name.lower()}", baseline.model_minus_baseline)
    if champion is not None and champion.auroc is not None:
        values["champion_holdout_auroc"] = champion.auroc
        if champion.difference is not None:
            values |= _difference("auroc_minus_champion", champion.difference)
    if found.oracle and found.oracle.rows:
        values |= {"best_possible_auroc": found.oracle.best_possible_auroc,
                   "auroc_gap_to_best_possible": found.oracle.gap}
    return {name: float(value) for name, value in values.items() if value is not None}


def log_evaluation(found: Evaluation, champion: CurrentChampion | None, card: str) -> None:
    import mlflow

    tracking.log_metrics("holdout", found.holdout)
    tracking.log_metrics("holdout_unseen_patients", found.unseen_patients)
    tracking.log_subgroups(found.subgroups)
    tracking.log_plots(found.images)
    mlflow.log_metrics(comparison_metrics(found, champion))
    mlflow.log_text(card, ARTIFACT)

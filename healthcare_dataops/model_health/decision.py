"""The drift decision: whether the champion should be retrained, and every reason, in the
words the report's metadata, its check, the sensor's run tags and the model card carry.

Two triggers, each on its own: feature drift (the features that moved carry enough of the
champion's importance) and performance drift (the live AUROC's interval wholly below the
holdout's). The scored open stays are reported beside them: a shift there shows up in the
discharged window within days, and retraining on discharged rows is what acts on it.
"""

from __future__ import annotations

from dataclasses import dataclass

from healthcare_dataops.model_health.drift import DriftResult
from healthcare_dataops.model_health.performance import PerformanceVerdict
from healthcare_dataops.model_health.scored_stays import ScoredStays


@dataclass(frozen=True)
class DriftDecision:
    retrain: bool
    reasons: tuple[str, ...]

    def text(self) -> str:
        return ("Retrain: " if self.retrain else "No retraining: ") + " ".join(self.reasons)

    def markdown(self, day: str, champion_version: str) -> str:
        verdict = "**Retrain.**" if self.retrain else "**No retraining.**"
        lines = [f"{verdict} Feature drift report for delivery day {day}, champion v{champion_version}:", ""]
        return "\n".join(lines + [f"- {reason}" for reason in self.reasons])


def _features(result: DriftResult, version: str) -> str:
    moved = ", ".join(f"{c.column} (effect {c.distance:.2f} against {c.threshold:.2f} by chance, importance "
                      f"{c.importance:.2f})" for c in sorted(result.columns, key=lambda c: -c.contribution)
                      if c.drifted) or "none"
    verdict = "Feature drift" if result.dataset_drift else "No feature drift"
    relation = ">=" if result.dataset_drift else "<"
    return (f"{verdict}: drift score {result.score:.3f} {relation} {result.threshold:g} (each moved feature's "
            f"importance to champion v{version} times how far beyond chance it moved); moved: {moved}.")


def _scored(stays: ScoredStays) -> str:
    if stays.drift is None:
        return (f"Scored open stays: {stays.current_stays} in the window, {stays.previous_stays} in the one before: "
                "too few to compare.")
    moved = ", ".join(stays.drift.drifted_columns) or "none"
    score = f"scores moved {stays.score_shift:.2f} (threshold {stays.score_threshold:.2f})"
    return (f"Scored open stays ({stays.current_stays} against {stays.previous_stays} in the window before): "
            f"{'shifted' if stays.drifted else 'steady'}; inputs that moved: {moved} (drift score "
            f"{stays.drift.score:.3f}); {score}; mean risk {stays.mean_risk:.3f} against "
            f"{stays.previous_mean_risk:.3f}.")


def decide(features: DriftResult, performance: PerformanceVerdict, stays: ScoredStays, version: str) -> DriftDecision:
    reasons = [_features(features, version),
               ("Performance drift: " if performance.drifted else "Performance: ") + performance.reason + ".",
               _scored(stays)]
    return DriftDecision(features.dataset_drift or performance.drifted, tuple(reasons))

"""Champion/challenger gating: which alias a newly registered model version gets, and why.

Like TFX's blessing: a new version becomes ``champion`` only if it clears an absolute floor
and does not lose to the current champion, scored on the same newest holdout, by more than a
tolerance. Otherwise it is the ``challenger``. A forced promotion skips both tests and says so.
"""

from __future__ import annotations

from dataclasses import dataclass

CHAMPION = "champion"
CHALLENGER = "challenger"


@dataclass(frozen=True)
class CurrentChampion:
    version: str
    auroc: float | None  # on the candidate's holdout; None where it could not score it
    why_not_scored: str | None = None


@dataclass(frozen=True)
class Decision:
    alias: str
    reason: str

    @property
    def promoted(self) -> bool:
        return self.alias == CHAMPION


def decide(
    candidate_auroc: float | None,
    champion: CurrentChampion | None,
    min_auroc: float,
    tolerance: float,
    force: bool = False,
) -> Decision:
    shown = "undefined" if candidate_auroc is None else f"{candidate_auroc:.4f}"
    if force:
        return Decision(CHAMPION, f"promotion forced by configuration (force_promotion); holdout AUROC {shown}")
    if candidate_auroc is None:
        return Decision(CHALLENGER, "holdout AUROC is undefined (the holdout has one label value)")
    if candidate_auroc < min_auroc:
        return Decision(CHALLENGER, f"holdout AUROC {shown} is below the floor {min_auroc:.4f}")
    if champion is None:
        return Decision(CHAMPION, f"holdout AUROC {shown} clears the floor {min_auroc:.4f}; there is no champion yet")
    if champion.auroc is None:
        return Decision(
            CHALLENGER,
            f"champion v{champion.version} could not be scored on this holdout "
            f"({champion.why_not_scored}); the versions cannot be compared, so only "
            "force_promotion can replace it",
        )
    comparison = (
        f"holdout AUROC {shown} vs champion v{champion.version} {champion.auroc:.4f} "
        f"on the same holdout (tolerance {tolerance:.4f}, floor {min_auroc:.4f})"
    )
    if candidate_auroc < champion.auroc - tolerance:
        return Decision(CHALLENGER, f"loses to the champion: {comparison}")
    return Decision(CHAMPION, f"clears the floor and holds against the champion: {comparison}")

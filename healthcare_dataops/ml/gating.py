"""Champion/challenger gating: which alias a newly registered model version gets, and why.

Like TFX's blessing: a new version becomes ``champion`` only if its holdout is big enough to
judge it (``min_holdout_positives`` readmitted and as many not), its AUROC clears an absolute
floor and beats the LACE score's on the same holdout (where required), and it does not lose
to the current champion on that holdout. Losing means worse by more than a tolerance *and*
significantly worse in a paired bootstrap on the same rows: two versions that differ only by
chance (a seed, a resample of the same admissions) differ by more than 0.01 about half the
time on a few hundred admissions, and a fixed tolerance alone would keep the older one by
chance. Otherwise it is the ``challenger``. A forced promotion skips every test and says so.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from healthcare_dataops.ml.uncertainty import PairedDifference

CHAMPION = "champion"
CHALLENGER = "challenger"


@dataclass(frozen=True)
class CurrentChampion:
    version: str
    auroc: float | None  # on the candidate's holdout; None where it could not score it
    why_not_scored: str | None = None
    # The candidate's AUROC minus the champion's, paired on the same holdout rows.
    difference: PairedDifference | None = None


@dataclass(frozen=True)
class GateRules:
    min_auroc: float = 0.65
    tolerance: float = 0.01
    require_beat_lace: bool = True
    min_holdout_positives: int = 20
    force: bool = False


@dataclass(frozen=True)
class Candidate:
    auroc: float | None
    positives: int  # readmitted admissions in the holdout
    negatives: int


@dataclass(frozen=True)
class Decision:
    alias: str
    reason: str

    @property
    def promoted(self) -> bool:
        return self.alias == CHAMPION


def _number(value: float | None) -> str:
    return "undefined" if value is None else f"{value:.4f}"


def decide(candidate: Candidate, champion: CurrentChampion | None, lace_auroc: float | None,
           rules: GateRules) -> Decision:
    shown = _number(candidate.auroc)
    if rules.force:
        unforced = decide(candidate, champion, lace_auroc, replace(rules, force=False))
        return Decision(CHAMPION, f"promotion forced by configuration (force_promotion); holdout AUROC {shown}; "
                        f"the gate alone would make it {unforced.alias}: {unforced.reason}")
    if candidate.auroc is None:
        return Decision(CHALLENGER, "holdout AUROC is undefined (the holdout has one label value)")
    smallest = min(candidate.positives, candidate.negatives)
    if smallest < rules.min_holdout_positives:
        return Decision(
            CHALLENGER,
            f"the holdout has {candidate.positives} readmitted and {candidate.negatives} not readmitted admissions, "
            f"fewer than the {rules.min_holdout_positives} of each a comparison needs (min_holdout_positives): "
            f"its AUROC {shown} is too uncertain to promote on",
        )
    if candidate.auroc < rules.min_auroc:
        return Decision(CHALLENGER, f"holdout AUROC {shown} is below the floor {rules.min_auroc:.4f}")
    if rules.require_beat_lace and lace_auroc is not None and candidate.auroc <= lace_auroc:
        return Decision(CHALLENGER, f"holdout AUROC {shown} does not beat the LACE score's {lace_auroc:.4f} "
                        "on the same holdout (require_beat_lace)")
    beats_lace = f", above LACE's {lace_auroc:.4f}" if lace_auroc is not None else ""
    if champion is None:
        return Decision(CHAMPION, f"holdout AUROC {shown} clears the floor {rules.min_auroc:.4f}{beats_lace}; "
                        "there is no champion yet")
    if champion.auroc is None:
        return Decision(
            CHALLENGER,
            f"champion v{champion.version} could not be scored on this holdout "
            f"({champion.why_not_scored}); the versions cannot be compared, so only "
            "force_promotion can replace it",
        )
    difference = champion.difference
    paired = f", difference {difference.describe()}" if difference is not None else ""
    comparison = (
        f"holdout AUROC {shown} vs champion v{champion.version} {champion.auroc:.4f} "
        f"on the same holdout{paired} (tolerance {rules.tolerance:.4f}, floor {rules.min_auroc:.4f}{beats_lace})"
    )
    worse_by_more = candidate.auroc < champion.auroc - rules.tolerance
    significant = difference is None or difference.significantly_below_zero
    if worse_by_more and significant:
        return Decision(CHALLENGER, f"loses to the champion: {comparison}")
    if worse_by_more:
        return Decision(CHAMPION, f"holds against the champion (worse by more than the tolerance, but not "
                        f"significantly in the paired comparison): {comparison}")
    return Decision(CHAMPION, f"clears the floor and holds against the champion: {comparison}")

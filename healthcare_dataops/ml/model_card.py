"""The model card: what a clinical reviewer reads first, as markdown.

Written on each registered version's description in MLflow (the registry's UI renders it)
and as ``model_card.md`` on its run: the cohort rules with what they left out, the split,
the holdout metrics with their intervals, the LACE and HOSPITAL baselines on the same holdout,
the comparison with the champion, the subgroups and the gate's decision. The drift report
keeps its last section, the last drift decision with its reasons, current on the champion.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from healthcare_dataops.ml.baselines import PUBLISHED_AUROC, BaselineScore
from healthcare_dataops.ml.dataset import TemporalSplit
from healthcare_dataops.ml.evaluation import MIN_SUBGROUP_NEGATIVES, MIN_SUBGROUP_POSITIVES, Metrics
from healthcare_dataops.ml.gating import CurrentChampion, Decision
from healthcare_dataops.ml.uncertainty import DEFAULT_RESAMPLES
from healthcare_dataops.transforms.readmission_cohort import COHORT_EXCLUSIONS

ARTIFACT = "model_card.md"
DRIFT_SECTION = "## Last drift decision"
NO_DRIFT_DECISION = "No drift report has judged this version yet."


@dataclass(frozen=True)
class CohortCounts:
    """What the feature table held when the version trained, by why a row was left out."""

    rows: int
    excluded: dict[str, int]
    before_feeds: int
    label_pending: int  # index admissions whose 30 days the feeds have not covered yet
    without_labs: int

    @classmethod
    def of(cls, features: pd.DataFrame, split_rows: int, embargoed: int) -> CohortCounts:
        exclusion = features.get("cohort_exclusion", pd.Series(None, index=features.index))
        before = features.get("before_feeds", pd.Series(False, index=features.index)).fillna(False).astype(bool)
        index = exclusion.isna()
        labelled = index & features["label_complete"].fillna(False).astype(bool)
        return cls(
            rows=len(features),
            excluded={reason: int((exclusion == reason).sum()) for reason in COHORT_EXCLUSIONS},
            before_feeds=int((index & before).sum()),
            label_pending=int((index & ~before & ~labelled).sum()),
            without_labs=int(labelled.sum()) - split_rows - embargoed,
        )


def _n(value: float | None, digits: int = 3) -> str:
    return "n/a" if value is None or pd.isna(value) else f"{value:.{digits}f}"


def _metric_rows(found: Metrics) -> list[str]:
    interval = lambda name: found.intervals[name].describe() if name in found.intervals else ""  # noqa: E731
    return [
        f"| AUROC | {_n(found.auroc)} | {interval('auroc')} |",
        f"| AUPRC | {_n(found.auprc)} | {interval('auprc')} |",
        f"| calibration slope | {_n(found.calibration_slope)} | {interval('calibration_slope')} |",
        f"| Brier score | {_n(found.brier)} | |",
        f"| calibration error (ECE, 10 equal-count bins) | {_n(found.calibration_error)} | |",
    ]


def render(*, model_name: str, version: str, decision: Decision, split: TemporalSplit, counts: CohortCounts,
           holdout: Metrics, unseen: Metrics, baselines: list[BaselineScore], champion: CurrentChampion | None,
           subgroups: pd.DataFrame, drift_decision: str = NO_DRIFT_DECISION) -> str:
    excluded = ", ".join(f"{reason}: {count}" for reason, count in counts.excluded.items())
    lines = [
        f"# {model_name} v{version}: {decision.alias}", "", f"**Gate.** {decision.reason}.", "",
        "## Cohort and label", "",
        "30-day readmission after the CMS hospital-wide measure's cohort rules: a transfer's stays are one "
        "episode (another inpatient stay starting within a day of a discharge); stays that end in death in "
        "hospital, that transfer out, or that end against medical advice are not index admissions; the label "
        "is the first readmission within 30 days, and it counts only if it is not planned (reason and "
        "encounter codes in data/reference/readmission_cohort_codes.csv).", "",
        f"Of the feature table's {counts.rows} rows: not index admissions ({excluded}); history the first "
        f"export carried from before the feeds, left out: {counts.before_feeds}; 30-day window not yet covered: "
        f"{counts.label_pending}; no lab result before discharge: {counts.without_labs}.", "",
        "## Split", "",
        f"In real time (when each discharge happened, not the shifted dates): the newest {len(split.holdout)} "
        f"index admissions are the holdout ({holdout.positives} readmitted); {len(split.train)} discharged at "
        f"least {split.embargo_days:g} days before the holdout's first train the model, so no training label "
        f"was observed after the holdout began; {split.embargoed} in between are embargoed. "
        f"{int(split.unseen_patients().sum())} holdout admissions are of patients with no training row.", "",
        f"## Holdout metrics (95% intervals: {DEFAULT_RESAMPLES} bootstrap resamples)", "",
        "| metric | value | 95% interval |", "|---|---|---|", *_metric_rows(holdout),
        f"| AUROC, patients never seen in training ({unseen.rows}) | {_n(unseen.auroc)} | "
        f"{unseen.intervals['auroc'].describe() if 'auroc' in unseen.intervals else ''} |",
        "", "## Clinical baselines on the same holdout", "",
        "| baseline | AUROC | 95% interval | published | model minus baseline (paired) |", "|---|---|---|---|---|",
        *[f"| {b.name} | {_n(b.auroc)} | {b.interval.describe()} | {PUBLISHED_AUROC[b.name]} | "
          f"{b.model_minus_baseline.describe()} |" for b in baselines],
        "", "LACE and HOSPITAL from their published points; items the feeds cannot supply are approximated "
        "as transforms/clinical_scores.py states (admission type from the elective admission code, "
        "oncology service and procedure from the stay's reason code, Charlson from coded conditions).",
    ]
    if champion is not None:
        lines += ["", "## Against the champion", "",
                  f"Champion v{champion.version} on the same holdout: AUROC {_n(champion.auroc)}; this version minus "
                  f"it: {champion.difference.describe() if champion.difference else 'not compared'}."]
    lines += ["", f"## Subgroups (metrics with at least {MIN_SUBGROUP_POSITIVES} readmitted and "
              f"{MIN_SUBGROUP_NEGATIVES} not)", "", subgroup_table(subgroups)]
    return "\n".join(lines) + f"\n\n{DRIFT_SECTION}\n\n{drift_decision}\n"


def subgroup_table(subgroups: pd.DataFrame) -> str:
    lines = ["| subgroup | rows | readmitted | AUROC | Brier |", "|---|---|---|---|---|"]
    for row in subgroups.itertuples():
        lines.append(f"| {row.attribute} = {row.value} | {row.rows} | {row.prevalence:.1%} "
                     f"| {_n(row.auroc, 4)} | {_n(row.brier, 4)} |")
    return "\n".join(lines)


def with_drift_decision(card: str | None, decision: str) -> str:
    """The card with its last section replaced by this drift decision."""
    body = (card or "").split(f"\n{DRIFT_SECTION}\n")[0].rstrip()
    return f"{body}\n\n{DRIFT_SECTION}\n\n{decision}\n"

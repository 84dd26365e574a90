"""The markdown summary a risk_model materialization shows in the UI, plots included."""

from __future__ import annotations

import base64

import pandas as pd

from healthcare_dataops.ml.evaluation import Metrics
from healthcare_dataops.ml.gating import Decision
from healthcare_dataops.ml.oracle import OracleComparison


def _number(value: float | None) -> str:
    return "n/a" if value is None or pd.isna(value) else f"{value:.4f}"


def markdown_summary(
    *,
    model_name: str,
    version: str,
    decision: Decision,
    holdout: Metrics,
    train_rows: int,
    boundary: str,
    subgroups: pd.DataFrame,
    oracle: OracleComparison | None,
    images: dict[str, bytes],
    run_url: str,
) -> str:
    lines = [
        f"## {model_name} v{version}: **{decision.alias}**",
        "",
        f"{decision.reason}.",
        "",
        f"Trained on {train_rows} admissions discharged before {boundary}; "
        f"held out the newest {holdout.rows} (readmitted: {holdout.prevalence:.1%}).",
        "",
        "| holdout metric | value |",
        "|---|---|",
        f"| AUROC | {_number(holdout.auroc)} |",
        f"| AUPRC | {_number(holdout.auprc)} |",
        f"| Brier score | {_number(holdout.brier)} |",
        f"| calibration error (ECE, 10 equal-count bins) | {_number(holdout.calibration_error)} |",
    ]
    if oracle is not None and oracle.rows:
        lines += [
            f"| best possible AUROC (generator's true risk, {oracle.rows} rows) "
            f"| {_number(oracle.best_possible_auroc)} |",
            f"| gap to best possible | {_number(oracle.gap)} |",
        ]
    lines += ["", subgroup_table(subgroups)]
    lines += ["", f"[MLflow run]({run_url})", ""]
    for name, png in images.items():
        encoded = base64.b64encode(png).decode("ascii")
        lines.append(f"![{name}](data:image/png;base64,{encoded})")
    return "\n".join(lines)


def subgroup_table(subgroups: pd.DataFrame) -> str:
    lines = ["| subgroup | rows | readmitted | AUROC | Brier |", "|---|---|---|---|---|"]
    for row in subgroups.itertuples():
        lines.append(
            f"| {row.attribute} = {row.value} | {row.rows} | {row.prevalence:.1%} "
            f"| {_number(row.auroc)} | {_number(row.brier)} |"
        )
    return "\n".join(lines)

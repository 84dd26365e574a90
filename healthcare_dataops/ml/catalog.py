"""The registered model's versions as a table: what ``healthcare-dataops models`` prints."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mlflow import MlflowClient

COLUMNS = ("version", "aliases", "holdout_auroc", "best_possible_auroc", "gap", "train_rows", "decision")


def version_rows(client: MlflowClient, name: str) -> list[dict[str, str]]:
    """Newest first; empty where nothing is registered under ``name`` yet."""
    from mlflow.exceptions import MlflowException

    try:
        versions = client.search_model_versions(f"name = '{name}'")
    except MlflowException:
        return []
    rows = []
    for found in sorted(versions, key=lambda v: int(v.version), reverse=True):
        # Searches leave aliases out; the version itself carries them.
        version = client.get_model_version(name, found.version)
        run = client.get_run(version.run_id)
        metrics, params = run.data.metrics, run.data.params
        best, auroc = metrics.get("best_possible_auroc"), metrics.get("holdout_auroc")
        rows.append({
            "version": str(version.version),
            "aliases": ",".join(version.aliases) or "-",
            "holdout_auroc": _number(auroc),
            "best_possible_auroc": _number(best),
            "gap": _number(best - auroc if best is not None and auroc is not None else None),
            "train_rows": params.get("train_rows", "-"),
            "decision": version.tags.get("gate.reason", "-"),
        })
    return rows


def _number(value: float | None) -> str:
    return "-" if value is None else f"{value:.4f}"


def format_table(rows: list[dict[str, str]]) -> str:
    widths = {c: max(len(c), *(len(r[c]) for r in rows)) for c in COLUMNS[:-1]}
    lines = ["  ".join(c.ljust(widths[c]) for c in COLUMNS[:-1]) + "  decision"]
    lines += ["  ".join(r[c].ljust(widths[c]) for c in COLUMNS[:-1]) + "  " + r["decision"] for r in rows]
    return "\n".join(lines)

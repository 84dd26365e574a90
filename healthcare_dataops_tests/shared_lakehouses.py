"""Landing zones and lakehouses built once per test process and shared by the files that read
them: generating feeds and materializing the graph is most of an end-to-end test's time.

A test that only reads uses the built folders as they are; a test that writes works on a copy
(``copy_lakehouse``), so that no test sees another's writes. With workers (TEST_WORKERS=N), a
fixture's files run on one worker (conftest's xdist groups), so each is still built once.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import dagster as dg

from healthcare_dataops.cli import main as cli
from healthcare_dataops_tests.dagster_helpers import lakehouse_assets, materialize_days


@dataclass(frozen=True)
class BuiltLakehouse:
    """Generated feeds and the data layers materialized from them in one run."""

    root: Path
    first_day: str
    last_day: str
    result: dg.ExecuteInProcessResult

    @property
    def landing(self) -> Path:
        return self.root / "landing"

    @property
    def side(self) -> Path:
        return self.root / "side"

    @property
    def lakehouse(self) -> Path:
        return self.root / "lakehouse"

    @property
    def manifest(self) -> dict:
        return json.loads((self.side / "manifest.json").read_text())

    def copy_lakehouse(self, folder: Path) -> Path:
        """The lakehouse copied into ``folder``, for a test that writes."""
        shutil.copytree(self.lakehouse, folder / "lakehouse")
        return folder / "lakehouse"


def build(root: Path, patients: int, first_day: str, days: int, *generator_options: str) -> BuiltLakehouse:
    """``patients`` over ``days`` delivery days from ``first_day``, bronze to gold with checks."""
    cli(["generate", "--landing", str(root / "landing"), "--side", str(root / "side"),
         "--patients", str(patients), "--days", str(days), "--start-date", first_day, "--quiet",
         *generator_options])
    last_day = (dt.date.fromisoformat(first_day) + dt.timedelta(days=days - 1)).isoformat()
    result = materialize_days(lakehouse_assets(), first_day, last_day, landing=root / "landing",
                              lakehouse=root / "lakehouse")
    assert result.success
    return BuiltLakehouse(root, first_day, last_day, result)


@dataclass(frozen=True)
class ScoredLakehouse:
    """Generated feeds run through the whole graph, model and scores included, on a persistent
    Dagster instance and MLflow store: what the worklist and the metrics exporter read."""

    root: Path
    first_day: str
    last_day: str
    env: dict[str, str]  # the environment a user's CLI, worklist or exporter gets (scripts/env.sh)

    @property
    def lakehouse(self) -> Path:
        return self.root / "lakehouse"

    @property
    def dagster_home(self) -> Path:
        return self.root / "dagster_home"


# Fewer, shallower trees and the first export's history as training rows: a champion, not a good one.
QUICK_CHAMPION = {"n_estimators": 60, "learning_rate": 0.3, "min_labelled_rows": 20, "require_lab_results": False,
                  "train_on_history": True, "force_promotion": True}


def build_scored(root: Path, patients: int, first_day: str, days: int, *generator_options: str) -> ScoredLakehouse:
    """``patients`` over ``days`` delivery days from ``first_day``: one run of the whole graph
    (the model forced to champion, the last day scored, the drift report), with the checks of
    ``patients`` only (every check step costs a second or two; the readers need some results,
    not all), then the first day scored too, so each stay open on both days has a change
    since the previous day's score."""
    from healthcare_dataops.definitions import defs
    from healthcare_dataops.defs.scores.patient_risk_scores import patient_risk_scores
    from healthcare_dataops_tests.project_env import project_environment

    last_day = (dt.date.fromisoformat(first_day) + dt.timedelta(days=days - 1)).isoformat()
    cli(["generate", "--landing", str(root / "landing"), "--side", str(root / "side"),
         "--patients", str(patients), "--days", str(days), "--start-date", first_day, "--quiet",
         *generator_options])
    env = project_environment(root / "dagster_home", root / "landing", root)
    days_of = {"landing": root / "landing", "lakehouse": root / "lakehouse"}
    checks = [c for c in defs.asset_checks if {k.asset_key.to_user_string() for k in c.check_keys} == {"patients"}]
    with dg.DagsterInstance.from_config(str(root / "dagster_home")) as instance:
        graph = materialize_days([*defs.assets, *checks], first_day, last_day, **days_of, instance=instance,
                                 run_config={"ops": {"risk_model": {"config": QUICK_CHAMPION}}})
        assert graph.success
        assert materialize_days([patient_risk_scores], first_day, first_day, **days_of, instance=instance).success
    return ScoredLakehouse(root, first_day, last_day, env)

"""The environment a user's ``dagster`` CLI, webserver or daemon gets from scripts/env.sh, on
an instance, landing zone and data folder of a test's own."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

from healthcare_dataops import settings
from healthcare_dataops_tests.conftest import REPO_ROOT


def project_environment(home: Path, landing: Path, data: Path) -> dict[str, str]:
    """This process's environment without any project setting of its own, plus DAGSTER_HOME
    ``home`` holding the repo's dagster.yaml (as scripts/setup.sh makes it), the landing zone,
    and the lakehouse and MLflow store under ``data``; the venv's ``dagster`` first on PATH."""
    home.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(REPO_ROOT / "dagster.yaml", home / "dagster.yaml")
    env = {k: v for k, v in os.environ.items() if not k.startswith(settings.ENV_PREFIX)}
    env.update({
        "DAGSTER_HOME": str(home),
        "DO_NOT_TRACK": "true",
        "MLFLOW_DISABLE_TELEMETRY": "true",
        settings.LANDING_ROOT: str(landing),
        settings.LAKEHOUSE_ROOT: str(data / "lakehouse"),
        settings.MLFLOW_TRACKING_URI: f"sqlite:///{data / 'mlflow' / 'mlflow.db'}",
        settings.MLFLOW_ARTIFACT_ROOT: str(data / "mlflow" / "artifacts"),
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
    })
    return env

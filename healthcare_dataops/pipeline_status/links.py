"""Links from a figure to the page behind it, in the Dagster UI and the MLflow UI."""

from __future__ import annotations

import os
import urllib.parse

from healthcare_dataops import settings


def dagster_ui_url() -> str:
    return (os.environ.get(settings.DAGSTER_UI_URL) or settings.DEFAULT_DAGSTER_UI_URL).rstrip("/")


def mlflow_ui_url() -> str:
    return (os.environ.get(settings.MLFLOW_UI_URL) or settings.DEFAULT_MLFLOW_UI_URL).rstrip("/")


def asset_page(asset: str) -> str:
    return f"{dagster_ui_url()}/assets/{urllib.parse.quote(asset)}"


def run_page(run_id: str) -> str:
    return f"{dagster_ui_url()}/runs/{run_id}"


def model_version_page(model_name: str, version: str) -> str:
    return f"{mlflow_ui_url()}/#/models/{model_name}/versions/{version}"


def mlflow_run_page(experiment_id: str, run_id: str) -> str:
    return f"{mlflow_ui_url()}/#/experiments/{experiment_id}/runs/{run_id}"

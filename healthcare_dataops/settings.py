"""The one place that knows how configuration reaches the project: environment variables.

Every setting has a local default so that a fresh clone runs with nothing set; production
sets the variables (see the README's configuration table). Values that are secrets or that
differ by deployment are passed to resources as ``dg.EnvVar`` so the UI shows the variable's
name, never its value.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import dagster as dg

ENV_PREFIX = "HEALTHCARE_DATAOPS_"

DATA_DIR = "HEALTHCARE_DATAOPS_DATA_DIR"
LANDING_ROOT = "HEALTHCARE_DATAOPS_LANDING_ROOT"
LAKEHOUSE_ROOT = "HEALTHCARE_DATAOPS_LAKEHOUSE_ROOT"
FIRST_DELIVERY_DAY = "HEALTHCARE_DATAOPS_FIRST_DELIVERY_DAY"
# Spark Connect URL of the engine: "sail" (embedded), "sc://host:port", or "local[N]".
SPARK_REMOTE = "HEALTHCARE_DATAOPS_SPARK_REMOTE"
DEFAULT_SPARK_REMOTE = "sail"

DEFAULT_DATA_DIR = "data"
DEFAULT_FIRST_DELIVERY_DAY = "2025-01-01"


def data_dir() -> str:
    """Absolute, so the CLI, the UI and every run worker find the same lakehouse."""
    configured = os.environ.get(DATA_DIR)
    if configured:
        return str(Path(configured).resolve())
    return str(project_root() / DEFAULT_DATA_DIR)


def project_root() -> Path:
    """The checkout this package runs from, or the working directory of an installed image."""
    checkout = Path(__file__).resolve().parent.parent
    return checkout if (checkout / "pyproject.toml").is_file() else Path.cwd()


def default_landing_root() -> str:
    return os.path.join(data_dir(), "landing")


def default_lakehouse_root() -> str:
    return os.path.join(data_dir(), "lakehouse")


def landing_root() -> str:
    return os.environ.get(LANDING_ROOT) or default_landing_root()


def lakehouse_root() -> str:
    return os.environ.get(LAKEHOUSE_ROOT) or default_lakehouse_root()


def env_or_default(name: str, default: str) -> str | dg.EnvVar:
    """``dg.EnvVar(name)`` where the variable is set, else the local default."""
    return dg.EnvVar(name) if os.environ.get(name) else default


def first_delivery_day() -> str:
    """The first day the daily partitions offer; deliveries before it cannot be ingested."""
    value = os.environ.get(FIRST_DELIVERY_DAY) or DEFAULT_FIRST_DELIVERY_DAY
    try:
        dt.date.fromisoformat(value)
    except ValueError as error:
        raise ValueError(
            f"{FIRST_DELIVERY_DAY}={value!r} is not a date in the form YYYY-MM-DD"
        ) from error
    return value

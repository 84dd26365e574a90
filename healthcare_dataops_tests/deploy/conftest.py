"""A PostgreSQL server per test session, and a fresh Postgres-backed Dagster instance per test."""

from __future__ import annotations

import dataclasses
import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from healthcare_dataops_tests.conftest import REPO_ROOT
from healthcare_dataops_tests.deploy.postgres_server import (
    Database,
    PostgresServer,
    PostgresUnavailable,
    locate_or_install,
)

DEPLOY_DIR = REPO_ROOT / "deploy"
# The one delivery day the materialization tests generate and ingest.
DAY = "2026-01-01"


@dataclasses.dataclass(frozen=True)
class ProductionInstance:
    """A DAGSTER_HOME holding deploy/dagster.yaml, and the database it points at."""

    home: Path
    database: Database

    def env(self, **extra: str) -> dict[str, str]:
        """The environment a webserver, daemon or code location of this instance runs with."""
        return {**os.environ, "DAGSTER_HOME": str(self.home), **self.database.dagster_env(), **extra}


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    try:
        server = PostgresServer(locate_or_install())
    except PostgresUnavailable as error:
        pytest.skip(f"PostgreSQL cannot be run here: {error}")
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def production_instance(
    postgres_server: PostgresServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> ProductionInstance:
    """Its own database, so a test sees only its own runs; the variables are also set in this
    process, for instances the test opens itself."""
    database = postgres_server.create_database(f"dagster_{uuid.uuid4().hex[:10]}")
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copyfile(DEPLOY_DIR / "dagster.yaml", home / "dagster.yaml")
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    for name, value in database.dagster_env().items():
        monkeypatch.setenv(name, value)
    return ProductionInstance(home=home, database=database)


@pytest.fixture(scope="session")
def landing_zone(tmp_path_factory) -> Path:
    """One delivery day of a small panel, written by the project's own generator CLI."""
    root = tmp_path_factory.mktemp("feeds")
    done = subprocess.run(
        ["healthcare-dataops", "generate", "--landing", str(root / "landing"), "--side", str(root / "side"),
         "--patients", "50", "--days", "1", "--start-date", DAY, "--quiet"],
        check=False, capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return root / "landing"


def lakehouse_env(instance: ProductionInstance, landing: Path, data_dir: Path) -> dict[str, str]:
    return instance.env(
        HEALTHCARE_DATAOPS_LANDING_ROOT=str(landing),
        HEALTHCARE_DATAOPS_LAKEHOUSE_ROOT=str(data_dir / "lakehouse"),
        HEALTHCARE_DATAOPS_DATA_DIR=str(data_dir),
    )

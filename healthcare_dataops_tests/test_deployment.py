"""The deployment's settings: checked at start-up, every problem named by its variable."""

import os
import re
import subprocess
import sys

import dagster as dg
import pytest

from healthcare_dataops import deployment, settings
from healthcare_dataops.privacy import keys
from healthcare_dataops.resources import S3LandingZoneResource, build_resources
from healthcare_dataops_tests.conftest import REPO_ROOT

SECRET_KEY = "a-production-secret-of-enough-length"

PRODUCTION = {
    deployment.ENVIRONMENT: "production",
    "HEALTHCARE_DATAOPS_LAKEHOUSE_ROOT": "s3://hospital-lakehouse/healthcare",
    "HEALTHCARE_DATAOPS_LANDING_ROOT": "s3://hospital-landing/deliveries",
    "HEALTHCARE_DATAOPS_MLFLOW_TRACKING_URI": "postgresql+psycopg2://mlflow@db:5432/mlflow",
    "HEALTHCARE_DATAOPS_MLFLOW_ARTIFACT_ROOT": "s3://hospital-mlflow/artifacts",
    "HEALTHCARE_DATAOPS_SPARK_REMOTE": "sc://spark-connect:15002",
    keys.PSEUDONYM_KEY_ENV: SECRET_KEY,
    "AWS_REGION": "us-east-1",
}


def problems_with(production_env: dict[str, str], **changes: str | None) -> list[str]:
    env = {**production_env, **changes}
    return deployment.problems({k: v for k, v in env.items() if v is not None})


@pytest.fixture
def production_env(tmp_path) -> dict[str, str]:
    (tmp_path / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    return {**PRODUCTION, "DAGSTER_HOME": str(tmp_path)}


def test_a_complete_production_environment_passes(production_env):
    assert deployment.problems(production_env) == []


def test_the_local_defaults_need_nothing_set():
    assert deployment.problems({}) == []


@pytest.mark.parametrize("name", [
    "HEALTHCARE_DATAOPS_LAKEHOUSE_ROOT", "HEALTHCARE_DATAOPS_LANDING_ROOT",
    "HEALTHCARE_DATAOPS_MLFLOW_TRACKING_URI", "HEALTHCARE_DATAOPS_MLFLOW_ARTIFACT_ROOT",
    keys.PSEUDONYM_KEY_ENV, "DAGSTER_HOME",
])
def test_production_names_each_missing_setting(production_env, name):
    env = {k: v for k, v in production_env.items() if k != name}
    [problem] = deployment.problems(env)
    assert problem.startswith(f"{name} is required")


@pytest.mark.parametrize(("changes", "named"), [
    ({"HEALTHCARE_DATAOPS_SPARK_REMOTE": "spark://master:7077"}, "HEALTHCARE_DATAOPS_SPARK_REMOTE="),
    ({"HEALTHCARE_DATAOPS_LAKEHOUSE_ROOT": "s3://Not_A_Bucket/x"}, "HEALTHCARE_DATAOPS_LAKEHOUSE_ROOT="),
    ({"HEALTHCARE_DATAOPS_MLFLOW_TRACKING_URI": "./mlruns"}, "HEALTHCARE_DATAOPS_MLFLOW_TRACKING_URI="),
    ({"HEALTHCARE_DATAOPS_MLFLOW_TRACKING_URI": "postgresql://db/mlflow"}, "HEALTHCARE_DATAOPS_MLFLOW_TRACKING_URI="),
    ({"AWS_REGION": None}, "AWS_REGION is required for the S3 locations"),
    ({"AWS_ENDPOINT_URL": "http://127.0.0.1:9000"}, "AWS_ALLOW_HTTP must be 'true'"),
    ({"AWS_ACCESS_KEY_ID": "AKIA-only-half"}, "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY go together"),
    ({"HEALTHCARE_DATAOPS_HOSPITAL_TIMEZONE": "Eastern"}, "HEALTHCARE_DATAOPS_HOSPITAL_TIMEZONE="),
    ({"HEALTHCARE_DATAOPS_FIRST_DELIVERY_DAY": "01/02/2025"}, "HEALTHCARE_DATAOPS_FIRST_DELIVERY_DAY="),
    ({"HEALTHCARE_DATAOPS_RETRAIN_COOLDOWN_HOURS": "-1"}, "HEALTHCARE_DATAOPS_RETRAIN_COOLDOWN_HOURS="),
    ({"HEALTHCARE_DATAOPS_ALERT_WEBHOOK_URL": "hooks.example/x"}, "HEALTHCARE_DATAOPS_ALERT_WEBHOOK_URL="),
    ({deployment.ENVIRONMENT: "prod"}, f"{deployment.ENVIRONMENT}='prod'"),
    ({"HEALTHCARE_DATAOPS_REIDENTIFICATION": "yes"}, "HEALTHCARE_DATAOPS_REIDENTIFICATION='yes': must be 'on'"),
    ({"HEALTHCARE_DATAOPS_METRICS_PORT": "90000"}, "HEALTHCARE_DATAOPS_METRICS_PORT="),
])
def test_a_wrong_value_is_named(production_env, changes, named):
    found = problems_with(production_env, **changes)
    assert any(problem.startswith(named) for problem in found), found


def test_secrets_are_named_never_quoted(production_env):
    found = problems_with(production_env, **{keys.PSEUDONYM_KEY_ENV: "short-secret"})
    assert found == [f"{keys.PSEUDONYM_KEY_ENV}: shorter than {keys.MINIMUM_KEY_LENGTH} characters: "
                     "use a longer random secret"]
    found = problems_with(production_env, **{keys.PSEUDONYM_KEY_ENV: keys.DEVELOPMENT_KEY})
    assert any("public development key" in p and keys.DEVELOPMENT_KEY not in p for p in found)


def test_every_problem_is_reported_at_once(production_env):
    found = problems_with(production_env, AWS_REGION=None, HEALTHCARE_DATAOPS_SPARK_REMOTE="yarn",
                          HEALTHCARE_DATAOPS_LANDING_ROOT=None)
    assert len(found) == 3, found


def test_an_s3_landing_root_gives_the_s3_landing_zone(monkeypatch):
    monkeypatch.setenv("HEALTHCARE_DATAOPS_LANDING_ROOT", "s3://hospital-landing/deliveries")
    monkeypatch.setenv("AWS_REGION", "eu-west-2")
    # Set, not deleted: monkeypatch restores only what it set, and start-up writes this one.
    monkeypatch.setenv("AWS_DEFAULT_REGION", "")
    landing = build_resources()["landing_zone"]
    assert isinstance(landing, S3LandingZoneResource)
    # Through dg.EnvVar: the UI shows the variable's name, and runs read its value.
    assert landing.s3.region_name == dg.EnvVar("AWS_REGION")
    assert landing.root == dg.EnvVar("HEALTHCARE_DATAOPS_LANDING_ROOT")
    # boto3 reads only AWS_DEFAULT_REGION: start-up fills it from AWS_REGION.
    assert os.environ["AWS_DEFAULT_REGION"] == "eu-west-2"


def test_the_code_location_refuses_to_start_with_a_wrong_setting(tmp_path):
    env = {**os.environ, deployment.ENVIRONMENT: "production", "DAGSTER_HOME": str(tmp_path),
           "HEALTHCARE_DATAOPS_SPARK_REMOTE": "spark://master:7077"}
    (tmp_path / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    for name in PRODUCTION:
        if name not in (deployment.ENVIRONMENT, "HEALTHCARE_DATAOPS_SPARK_REMOTE"):
            env.pop(name, None)
    loaded = subprocess.run(
        [sys.executable, "-m", "dagster", "definitions", "validate", "-m", "healthcare_dataops.definitions"],
        check=False, env=env, capture_output=True, text=True, timeout=300,
    )
    assert loaded.returncode != 0
    for name in ("HEALTHCARE_DATAOPS_LAKEHOUSE_ROOT", keys.PSEUDONYM_KEY_ENV, "HEALTHCARE_DATAOPS_SPARK_REMOTE"):
        assert name in loaded.stdout + loaded.stderr, name


@pytest.mark.slow
def test_the_code_location_refuses_to_start_without_the_key_in_production(production_env):
    """Everything else set right, the key unset: the code location does not load, names the
    variable, and says nothing of the keys it did not get (no development key fallback)."""
    env = {k: v for k, v in os.environ.items() if k not in PRODUCTION and not k.startswith("DAGSTER_")}
    env.update({k: v for k, v in production_env.items() if k != keys.PSEUDONYM_KEY_ENV})
    assert deployment.problems({k: v for k, v in production_env.items() if k != keys.PSEUDONYM_KEY_ENV})
    loaded = subprocess.run(
        [sys.executable, "-m", "dagster", "definitions", "validate", "-m", "healthcare_dataops.definitions"],
        check=False, env=env, capture_output=True, text=True, timeout=300,
    )
    output = loaded.stdout + loaded.stderr
    assert loaded.returncode != 0
    assert keys.PSEUDONYM_KEY_ENV in output
    # Only the key is missing: no other variable is named as a problem.
    others = [name for name in PRODUCTION if name not in (keys.PSEUDONYM_KEY_ENV, deployment.ENVIRONMENT)]
    assert [name for name in others if name in output] == []
    assert keys.DEVELOPMENT_KEY not in output


def production_env_file() -> dict[str, str]:
    return deployment.read_env_file(REPO_ROOT / "deploy" / "production.env")


def test_the_documented_production_environment_passes_the_check(tmp_path):
    env = production_env_file()
    assert set(deployment.REQUIRED_IN_PRODUCTION) <= set(env)
    (tmp_path / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    assert deployment.problems({**env, "DAGSTER_HOME": str(tmp_path)}) == []


def test_every_variable_the_code_reads_is_documented():
    readme = (REPO_ROOT / "README.md").read_text()
    example = production_env_file()
    names = {value for name, value in vars(settings).items()
             if name.isupper() and str(value).startswith("HEALTHCARE_DATAOPS_")}
    names |= {keys.PSEUDONYM_KEY_ENV, deployment.ENVIRONMENT}
    assert not {n for n in names if n not in readme}, "add these to the README's configuration table"
    instance = (REPO_ROOT / "deploy" / "dagster.yaml").read_text()
    assert ({n for n in example if n.startswith("DAGSTER_POSTGRES_")}
            == set(re.findall(r"DAGSTER_POSTGRES_[A-Z]+", instance)))


def test_check_config_checks_an_env_file(tmp_path, capsys, monkeypatch):
    from healthcare_dataops.cli import main as cli

    for name in ("AWS_REGION", "AWS_DEFAULT_REGION"):
        monkeypatch.setenv(name, "")

    home = tmp_path / "home"
    home.mkdir()
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    env_file = tmp_path / "production.env"
    text = (REPO_ROOT / "deploy" / "production.env").read_text().replace(
        "DAGSTER_HOME=/opt/dagster/home", f"DAGSTER_HOME={home}")
    env_file.write_text(text)
    assert cli(["check-config", "--env-file", str(env_file)]) == 0
    assert "configuration OK (production)" in capsys.readouterr().out
    env_file.write_text(text.replace("AWS_REGION=us-east-1", "#AWS_REGION="))
    assert cli(["check-config", "--env-file", str(env_file)]) == 2
    [problem] = capsys.readouterr().err.splitlines()[1:]
    assert problem.startswith("  - AWS_REGION is required")

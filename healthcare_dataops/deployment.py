"""The settings a deployment must get right, checked when the code location starts.

A wrong setting found at start-up costs a failed deploy; found mid-run it costs a failed
night (a lakehouse root without its region fails only at the first write). So every setting
the environment gives is checked here, before any definition loads, and every problem is
reported at once, naming its variable. Secrets (the pseudonym key, AWS keys) are never
echoed.

``HEALTHCARE_DATAOPS_ENVIRONMENT=production`` also refuses the local defaults that only make
sense on a laptop: a lakehouse, landing zone and MLflow store under the checkout, and the
public development pseudonym key.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from urllib.parse import urlparse

from healthcare_dataops import settings
from healthcare_dataops.lakehouse import storage
from healthcare_dataops.privacy import keys

ENVIRONMENT = "HEALTHCARE_DATAOPS_ENVIRONMENT"
LOCAL, PRODUCTION = "local", "production"

# Left to their libraries' own checks: delta-rs, Sail and boto3 read these as they are.
AWS_REGION = "AWS_REGION"
AWS_DEFAULT_REGION = "AWS_DEFAULT_REGION"
AWS_ENDPOINT_URL = "AWS_ENDPOINT_URL"
AWS_ALLOW_HTTP = "AWS_ALLOW_HTTP"
AWS_ACCESS_KEY_ID = "AWS_ACCESS_KEY_ID"
AWS_SECRET_ACCESS_KEY = "AWS_SECRET_ACCESS_KEY"

# Without these a production instance would fall back to a temporary one and lose run history.
DAGSTER_HOME = "DAGSTER_HOME"

REQUIRED_IN_PRODUCTION = (
    settings.LAKEHOUSE_ROOT,
    settings.LANDING_ROOT,
    settings.MLFLOW_TRACKING_URI,
    settings.MLFLOW_ARTIFACT_ROOT,
    keys.PSEUDONYM_KEY_ENV,
    DAGSTER_HOME,
)
_SPARK_REMOTE = re.compile(r"^(sail|local(\[(\d+|\*)\])?|sc://[^/:\s]+:\d+(/.*)?)$")
_MLFLOW_SCHEMES = ("sqlite", "postgresql", "mysql", "mssql", "http", "https", "databricks")


class ConfigurationError(ValueError):
    """Settings that stop the code location from starting: one line per variable."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        lines = "\n".join(f"  - {problem}" for problem in problems)
        super().__init__(
            f"healthcare-dataops cannot start: {len(problems)} setting(s) missing or wrong "
            f"(see the README's Deployment section):\n{lines}"
        )


def environment(env: Mapping[str, str] = os.environ) -> str:
    return (env.get(ENVIRONMENT) or LOCAL).strip().lower()


def problems(env: Mapping[str, str] = os.environ) -> list[str]:
    """Every missing or wrong setting in ``env``, each a sentence that starts with its name."""
    found: list[str] = []
    mode = environment(env)
    if mode not in (LOCAL, PRODUCTION):
        found.append(f"{ENVIRONMENT}={env.get(ENVIRONMENT)!r} must be {LOCAL!r} or {PRODUCTION!r}")
    if mode == PRODUCTION:
        found += [
            f"{name} is required when {ENVIRONMENT}={PRODUCTION} (the local default is for trying it out)"
            for name in REQUIRED_IN_PRODUCTION if not env.get(name)
        ]
    s3_roots = []
    for name in (settings.LAKEHOUSE_ROOT, settings.LANDING_ROOT, settings.MLFLOW_ARTIFACT_ROOT):
        value = env.get(name)
        if value and storage.is_s3(value):
            s3_roots.append(name)
            if not re.match(r"^s3a?://[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9](/.*)?$", value):
                found.append(f"{name}={value!r} is not s3://<bucket>/<prefix> with a valid bucket name")
    if s3_roots:
        found += _s3_problems(env, s3_roots)
    found += _value_problems(env)
    if mode == PRODUCTION:
        found += _production_value_problems(env)
    return found


def read_env_file(path: str | Path) -> dict[str, str]:
    """``NAME=value`` lines of a ``docker run --env-file`` file; ``#`` lines are comments."""
    pairs = {}
    for number, line in enumerate(Path(path).read_text().splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        name, equals, value = line.partition("=")
        if not equals or not name.strip():
            raise ValueError(f"{path}:{number}: not a NAME=value line")
        pairs[name.strip()] = value
    return pairs


def require_valid(env: Mapping[str, str] = os.environ) -> None:
    """Raise ``ConfigurationError`` listing every problem; otherwise fill in derived defaults."""
    found = problems(env)
    if found:
        raise ConfigurationError(found)
    # boto3 (MLflow's S3 artifacts, the landing zone's client) reads only AWS_DEFAULT_REGION;
    # delta-rs and Sail read AWS_REGION: one setting serves all three.
    if env is os.environ and os.environ.get(AWS_REGION) and not os.environ.get(AWS_DEFAULT_REGION):
        os.environ[AWS_DEFAULT_REGION] = os.environ[AWS_REGION]


def _s3_problems(env: Mapping[str, str], s3_roots: list[str]) -> list[str]:
    found = []
    if not (env.get(AWS_REGION) or env.get(AWS_DEFAULT_REGION)):
        found.append(f"{AWS_REGION} is required for the S3 locations in {', '.join(s3_roots)}")
    if bool(env.get(AWS_ACCESS_KEY_ID)) != bool(env.get(AWS_SECRET_ACCESS_KEY)):
        found.append(
            f"{AWS_ACCESS_KEY_ID} and {AWS_SECRET_ACCESS_KEY} go together: set both, or neither "
            "to use the machine's role"
        )
    endpoint = env.get(AWS_ENDPOINT_URL)
    if endpoint:
        parsed = urlparse(endpoint)
        if parsed.scheme not in ("http", "https") or not parsed.hostname:
            found.append(f"{AWS_ENDPOINT_URL}={endpoint!r} is not an http(s)://host[:port] URL")
        elif parsed.scheme == "http" and (env.get(AWS_ALLOW_HTTP) or "").lower() != "true":
            found.append(
                f"{AWS_ALLOW_HTTP} must be 'true' for the plain-HTTP {AWS_ENDPOINT_URL} {endpoint!r}: "
                "delta-rs refuses unencrypted endpoints otherwise"
            )
    return found


def _value_problems(env: Mapping[str, str]) -> list[str]:
    checks: dict[str, Callable[[str], str | None]] = {
        settings.SPARK_REMOTE: _spark_remote,
        settings.MLFLOW_TRACKING_URI: _mlflow_tracking_uri,
        settings.MLFLOW_UI_URL: _http_url,
        settings.HOSPITAL_TIMEZONE: _parsed(settings.parse_time_zone),
        settings.FIRST_DELIVERY_DAY: _parsed(settings.parse_day),
        keys.PSEUDONYM_KEY_ENV: _pseudonym_key,
        AWS_ALLOW_HTTP: lambda v: None if v.lower() in ("true", "false") else "must be 'true' or 'false'",
        settings.RETRAIN_COOLDOWN_HOURS: _parsed(settings.parse_hours),
        settings.DRIFT_SENSOR_INTERVAL_SECONDS: _parsed(settings.parse_whole_seconds),
        settings.ENGINE_PARALLELISM: _parsed(settings.parse_positive_count),
        settings.ALERT_WEBHOOK_URL: _http_url,
        settings.DAGSTER_UI_URL: _http_url,
        settings.MLLP_PORT: _parsed(settings.parse_port),
        settings.STREAM_SENSOR_INTERVAL_SECONDS: _parsed(settings.parse_whole_seconds),
        settings.MLLP_METRICS_PORT: _parsed(settings.parse_port),
        settings.WORKLIST_PORT: _parsed(settings.parse_port),
        settings.METRICS_PORT: _parsed(settings.parse_port),
        settings.REIDENTIFICATION: lambda v: None if v.strip().lower() in ("on", "off") else "must be 'on' or 'off'",
    }
    found = []
    for name, check in checks.items():
        value = env.get(name)
        if value:
            problem = check(value)
            if problem:
                # The key is secret: its problem is described, never quoted.
                shown = name if name == keys.PSEUDONYM_KEY_ENV else f"{name}={value!r}"
                found.append(f"{shown}: {problem}")
    return found


def _production_value_problems(env: Mapping[str, str]) -> list[str]:
    found = []
    if keys.is_development_key(env.get(keys.PSEUDONYM_KEY_ENV) or ""):
        found.append(f"{keys.PSEUDONYM_KEY_ENV} is the public development key: set a secret of your own")
    home = env.get(DAGSTER_HOME)
    if home and not (Path(home) / "dagster.yaml").is_file():
        found.append(f"{DAGSTER_HOME}={home!r} has no dagster.yaml: copy deploy/dagster.yaml there")
    return found


def _spark_remote(value: str) -> str | None:
    if _SPARK_REMOTE.match(value):
        return None
    return "expected 'sail', 'local[N]' or a Spark Connect URL such as sc://spark-connect:15002"


def _mlflow_tracking_uri(value: str) -> str | None:
    full_scheme = urlparse(value).scheme
    scheme = full_scheme.split("+")[0]
    if full_scheme == "postgresql":
        return ("name the driver, postgresql+psycopg2://: SQLAlchemy reads a bare postgresql:// as psycopg 3, "
                "which is not installed")
    if scheme in _MLFLOW_SCHEMES:
        return None
    if scheme in ("", "file"):
        return "MLflow's file store is off by default: use sqlite:///path/mlflow.db, a database or a tracking server"
    return f"unknown MLflow store scheme {scheme!r}; expected one of {', '.join(_MLFLOW_SCHEMES)}"


def _http_url(value: str) -> str | None:
    parsed = urlparse(value)
    if parsed.scheme in ("http", "https") and parsed.hostname:
        return None
    return "is not an http(s):// URL"


def _pseudonym_key(value: str) -> str | None:
    if len(value) < keys.MINIMUM_KEY_LENGTH:
        return f"shorter than {keys.MINIMUM_KEY_LENGTH} characters: use a longer random secret"
    return None


def _parsed(parse: Callable[[str], object]) -> Callable[[str], str | None]:
    def check(value: str) -> str | None:
        try:
            parse(value)
        except ValueError as error:
            return str(error)
        return None

    return check

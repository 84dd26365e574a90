"""The one place that knows how configuration reaches the project: environment variables.

Every setting has a local default so that a fresh clone runs with nothing set; production
sets the variables (see the README's configuration table). Values that are secrets or that
differ by deployment are passed to resources as ``dg.EnvVar`` so the UI shows the variable's
name, never its value.
"""

from __future__ import annotations

import datetime as dt
import importlib.metadata
import math
import os
import subprocess
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import dagster as dg

ENV_PREFIX = "HEALTHCARE_DATAOPS_"

DATA_DIR = "HEALTHCARE_DATAOPS_DATA_DIR"
LANDING_ROOT = "HEALTHCARE_DATAOPS_LANDING_ROOT"
LAKEHOUSE_ROOT = "HEALTHCARE_DATAOPS_LAKEHOUSE_ROOT"
FIRST_DELIVERY_DAY = "HEALTHCARE_DATAOPS_FIRST_DELIVERY_DAY"
# Spark Connect URL of the engine: "sail" (embedded), "sc://host:port", or "local[N]".
SPARK_REMOTE = "HEALTHCARE_DATAOPS_SPARK_REMOTE"
DEFAULT_SPARK_REMOTE = "sail"
# Tasks the engine runs at once (a cluster's executor cores): how many read a day's files.
ENGINE_PARALLELISM = "HEALTHCARE_DATAOPS_ENGINE_PARALLELISM"

# The zone the hospital's delivery days are counted in: a day's export runs to its local midnight.
HOSPITAL_TIMEZONE = "HEALTHCARE_DATAOPS_HOSPITAL_TIMEZONE"
DEFAULT_HOSPITAL_TIMEZONE = "America/New_York"
MLFLOW_TRACKING_URI = "HEALTHCARE_DATAOPS_MLFLOW_TRACKING_URI"
MLFLOW_ARTIFACT_ROOT = "HEALTHCARE_DATAOPS_MLFLOW_ARTIFACT_ROOT"
MLFLOW_UI_URL = "HEALTHCARE_DATAOPS_MLFLOW_UI_URL"
DEFAULT_MLFLOW_UI_URL = "http://127.0.0.1:5000"

# The drift sensor's least time between two retraining requests, in hours.
RETRAIN_COOLDOWN_HOURS = "HEALTHCARE_DATAOPS_RETRAIN_COOLDOWN_HOURS"
# How often the daemon asks the drift sensor: reports come once a day, tests want it sooner.
DRIFT_SENSOR_INTERVAL_SECONDS = "HEALTHCARE_DATAOPS_DRIFT_SENSOR_INTERVAL_SECONDS"
# Where run failures are posted, and the UI their messages link to.
ALERT_WEBHOOK_URL = "HEALTHCARE_DATAOPS_ALERT_WEBHOOK_URL"
DAGSTER_UI_URL = "HEALTHCARE_DATAOPS_DAGSTER_UI_URL"
DEFAULT_DAGSTER_UI_URL = "http://127.0.0.1:3000"

# Real-time ingestion: the Kafka-protocol broker, and the MLLP listener in front of it. Every
# other HEALTHCARE_DATAOPS_KAFKA_<NAME> variable is the client property <name> with "_" → "."
# (SECURITY_PROTOCOL, SASL_MECHANISM, SASL_USERNAME, SASL_PASSWORD, SSL_CA_LOCATION, ...).
KAFKA_PREFIX = "HEALTHCARE_DATAOPS_KAFKA_"
KAFKA_BOOTSTRAP_SERVERS = "HEALTHCARE_DATAOPS_KAFKA_BOOTSTRAP_SERVERS"
DEFAULT_KAFKA_BOOTSTRAP_SERVERS = "127.0.0.1:9092"
MLLP_HOST = "HEALTHCARE_DATAOPS_MLLP_HOST"
DEFAULT_MLLP_HOST = "127.0.0.1"  # a listener reachable from outside is a deployment's decision
MLLP_PORT = "HEALTHCARE_DATAOPS_MLLP_PORT"
DEFAULT_MLLP_PORT = "2575"  # IANA's port for HL7 over MLLP
# Where the listener serves its acknowledgement counts to Prometheus (unset: it does not).
MLLP_METRICS_PORT = "HEALTHCARE_DATAOPS_MLLP_METRICS_PORT"
# How often the stream sensors look for new messages, in seconds.
STREAM_SENSOR_INTERVAL_SECONDS = "HEALTHCARE_DATAOPS_STREAM_SENSOR_INTERVAL_SECONDS"
DEFAULT_STREAM_SENSOR_INTERVAL_SECONDS = "5"

# The clinician worklist (healthcare-dataops worklist), and its opt-in re-identification: off
# unless "on"; then a signed-in user (the login proxy's headers) of an allowed role may look up
# a pseudonym's MRN, and every lookup is audited.
WORKLIST_HOST = "HEALTHCARE_DATAOPS_WORKLIST_HOST"
DEFAULT_WORKLIST_HOST = "127.0.0.1"  # only the login proxy in front of it should reach it
WORKLIST_PORT = "HEALTHCARE_DATAOPS_WORKLIST_PORT"
DEFAULT_WORKLIST_PORT = "8050"
REIDENTIFICATION = "HEALTHCARE_DATAOPS_REIDENTIFICATION"
REIDENTIFICATION_ROLES = "HEALTHCARE_DATAOPS_REIDENTIFICATION_ROLES"
DEFAULT_REIDENTIFICATION_ROLES = "care-team"
# oauth2-proxy's headers (--pass-user-headers); another proxy's names can be set instead.
WORKLIST_USER_HEADER = "HEALTHCARE_DATAOPS_WORKLIST_USER_HEADER"
DEFAULT_WORKLIST_USER_HEADER = "X-Forwarded-Email"
WORKLIST_GROUPS_HEADER = "HEALTHCARE_DATAOPS_WORKLIST_GROUPS_HEADER"
DEFAULT_WORKLIST_GROUPS_HEADER = "X-Forwarded-Groups"
# The Prometheus exporter (healthcare-dataops metrics).
METRICS_HOST = "HEALTHCARE_DATAOPS_METRICS_HOST"
METRICS_PORT = "HEALTHCARE_DATAOPS_METRICS_PORT"
DEFAULT_METRICS_PORT = "9464"

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


def default_mlflow_tracking_uri() -> str:
    """sqlite under the data folder: MLflow 3's file store is off by default."""
    return "sqlite:///" + os.path.join(data_dir(), "mlflow", "mlflow.db")


def default_mlflow_artifact_root() -> str:
    return os.path.join(data_dir(), "mlflow", "artifacts")


def landing_root() -> str:
    return os.environ.get(LANDING_ROOT) or default_landing_root()


def lakehouse_root() -> str:
    return os.environ.get(LAKEHOUSE_ROOT) or default_lakehouse_root()


def env_or_default(name: str, default: str) -> str | dg.EnvVar:
    """``dg.EnvVar(name)`` where the variable is set, else the local default."""
    return dg.EnvVar(name) if os.environ.get(name) else default


def kafka_bootstrap_servers() -> str:
    return os.environ.get(KAFKA_BOOTSTRAP_SERVERS) or DEFAULT_KAFKA_BOOTSTRAP_SERVERS


def kafka_client_properties(env=os.environ) -> dict[str, str]:
    """Client properties (security, timeouts) passed through from the environment, as the Kafka
    client spells them: ``HEALTHCARE_DATAOPS_KAFKA_SASL_MECHANISM`` → ``sasl.mechanism``."""
    return {
        name.removeprefix(KAFKA_PREFIX).lower().replace("_", "."): value
        for name, value in env.items()
        if name.startswith(KAFKA_PREFIX) and name != KAFKA_BOOTSTRAP_SERVERS and value
    }


def mllp_address() -> tuple[str, int]:
    host = os.environ.get(MLLP_HOST) or DEFAULT_MLLP_HOST
    return host, read_setting(MLLP_PORT, DEFAULT_MLLP_PORT, parse_port)


def mllp_metrics_port() -> int | None:
    return read_setting(MLLP_METRICS_PORT, "", parse_port) if os.environ.get(MLLP_METRICS_PORT) else None


def stream_sensor_interval_seconds() -> int:
    return read_setting(STREAM_SENSOR_INTERVAL_SECONDS, DEFAULT_STREAM_SENSOR_INTERVAL_SECONDS, parse_whole_seconds)


def hospital_timezone() -> ZoneInfo:
    return read_setting(HOSPITAL_TIMEZONE, DEFAULT_HOSPITAL_TIMEZONE, parse_time_zone)


def end_of_delivery_day(day: dt.date) -> dt.datetime:
    """The local midnight that closes ``day``: what the day's export can have seen."""
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=hospital_timezone())


def first_delivery_day() -> str:
    """The first day the daily partitions offer; deliveries before it cannot be ingested."""
    return read_setting(FIRST_DELIVERY_DAY, DEFAULT_FIRST_DELIVERY_DAY, parse_day)


# Parsers of one value each, shared by the readers here and the start-up check
# (healthcare_dataops.deployment); their errors say what the value is not.


def parse_time_zone(value: str) -> ZoneInfo:
    try:
        return ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise ValueError("is not an IANA time zone such as America/Chicago") from error


def parse_day(value: str) -> str:
    try:
        dt.date.fromisoformat(value)
    except ValueError as error:
        raise ValueError("is not a date in the form YYYY-MM-DD") from error
    return value


def parse_hours(value: str) -> float:
    try:
        hours = float(value)
    except ValueError:
        hours = -1.0
    if not (math.isfinite(hours) and hours >= 0):
        raise ValueError("is not a number of hours >= 0, such as 24 or 0.5")
    return hours


def parse_positive_count(value: str) -> int:
    try:
        count = int(value)
    except ValueError:
        count = 0
    if count < 1:
        raise ValueError("is not a whole number >= 1, such as 16")
    return count


def parse_whole_seconds(value: str) -> int:
    try:
        seconds = int(value)
    except ValueError:
        seconds = 0
    if seconds < 1:
        raise ValueError("is not a whole number of seconds >= 1, such as 60")
    return seconds


def parse_port(value: str) -> int:
    try:
        port = int(value)
    except ValueError:
        port = -1
    if not 0 <= port <= 65535:
        raise ValueError("is not a TCP port number from 0 to 65535, such as 2575")
    return port


def read_setting(name: str, default: str, parse):
    """``parse`` of the variable ``name`` (or ``default``), its error naming the variable."""
    value = os.environ.get(name) or default
    try:
        return parse(value)
    except ValueError as error:
        raise ValueError(f"{name}={value!r} {error}") from error


# Set by image builds (``--build-arg CODE_VERSION=$(git rev-parse HEAD)``), where no .git exists.
CODE_VERSION = "HEALTHCARE_DATAOPS_CODE_VERSION"


def code_version() -> str:
    """What code produced an output: the variable, else the checkout's commit (``+dirty`` with
    uncommitted changes), else the installed package's version."""
    configured = os.environ.get(CODE_VERSION)
    if configured:
        return configured
    root = project_root()
    if (root / ".git").exists():
        try:
            commit = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True,
                                    text=True, timeout=10, check=True).stdout.strip()
            dirty = subprocess.run(["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
                                   capture_output=True, text=True, timeout=10, check=True).stdout.strip()
            return commit + ("+dirty" if dirty else "")
        except (OSError, subprocess.SubprocessError):
            pass
    return "healthcare-dataops " + importlib.metadata.version("healthcare-dataops")

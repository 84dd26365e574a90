from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
# CI and every checkout keep the real source samples in ../shared beside the repo root.
SHARED_SAMPLES = Path(os.environ.get("HEALTHCARE_DATAOPS_SAMPLES", REPO_ROOT.parent / "shared" / "samples"))

# With workers (TEST_WORKERS=N in scripts/test.sh), each takes a file at a time (xdist groups,
# below). These files take minutes each (the test command prints the slowest tests): collected
# first, they start first, so no worker is left with one of them at the end while others idle.
LONGEST_FIRST = (
    "benchmark/test_benchmark_cli.py",
    "test_quickstart.py",
    "lakehouse/test_spark_cluster.py",
    "transforms/test_engine_parity.py",
    "scenarios/test_drift_scenarios.py",
    "reliability/test_s3_faults.py",
    "test_s3_deployment.py",
    "reliability/test_crash_recovery.py",
    "deploy/test_production_topology.py",
    "reliability/test_phi_canaries.py",
    "lakehouse/test_s3_lakehouse.py",
    "defs/test_silver_layer.py",
    "webui/test_dagster_ui.py",
    "reliability/test_fault_suite.py",
)
# In one process, the commands of background.py (the quickstart, the benchmark CLI, the drift
# scenarios) run from the start beside the tests, and their tests come last, to read what they
# left. These files keep both cores busy themselves (JVM Spark starting and computing: the
# cluster's start took 98 s alone and 223-227 s beside the background commands), so they come
# after the rest, and wait for the background commands to end.
AFTER_THE_BACKGROUND = ("lakehouse/test_spark_cluster.py", "transforms/test_engine_parity.py")


# Session fixtures that build a lakehouse (shared_lakehouses.py): with workers, every file that
# asks for one runs on the same worker, so it is still built once.
SHARED_LAKEHOUSES = ("faulty_lakehouse", "small_lakehouse", "scored_lakehouse")


def _module(item: pytest.Item) -> str:
    return item.path.relative_to(REPO_ROOT / "healthcare_dataops_tests").as_posix()


# tryfirst: the groups must be marked before xdist reads them off the items.
@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    def rank(item: pytest.Item) -> int:
        module = _module(item)
        return LONGEST_FIRST.index(module) if module in LONGEST_FIRST else len(LONGEST_FIRST)

    items.sort(key=rank)  # stable: the rest keep their order
    if hasattr(config, "workerinput"):
        # Last: the other Python's test, whose install runs in the background meanwhile.
        items.sort(key=lambda item: item.path.name == "test_other_python.py")
    else:
        # The rest, then the engine-heavy files, then the tests of the background commands, the
        # other Python's last (its install waits on the package index beside the rest).
        items.sort(key=lambda item: (item.path.name == "test_other_python.py",
                                     bool(getattr(getattr(item, "module", None), "BACKGROUND_COMMANDS", ())),
                                     _module(item) in AFTER_THE_BACKGROUND))
    # One xdist group per file (loadgroup then schedules as loadfile does), but one for all
    # the files that share a built lakehouse.
    shared_by_module: dict[str, str] = {}
    for item in items:
        for name in SHARED_LAKEHOUSES:
            if name in item.fixturenames:
                shared_by_module.setdefault(_module(item), name)
    for item in items:
        item.add_marker(pytest.mark.xdist_group(shared_by_module.get(_module(item), _module(item))))


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    from healthcare_dataops_tests import background

    if _module(item) in AFTER_THE_BACKGROUND and background.BACKGROUND_KEY in item.config.stash:
        item.config.stash[background.BACKGROUND_KEY].wait_for_queue()


def pytest_collection_finish(session: pytest.Session) -> None:
    from healthcare_dataops_tests import background

    background.start_in_background(session)


def pytest_sessionfinish(session: pytest.Session) -> None:
    from healthcare_dataops_tests import background

    if background.BACKGROUND_KEY in session.config.stash:
        session.config.stash[background.BACKGROUND_KEY].remove()


def pytest_terminal_summary(terminalreporter, config: pytest.Config) -> None:
    """Beside the slowest tests: the commands that ran in the background, whose tests' times
    above are only the wait for them."""
    from healthcare_dataops_tests import background

    if background.BACKGROUND_KEY in config.stash and (times := config.stash[background.BACKGROUND_KEY].times()):
        terminalreporter.write_sep("=", "background commands (beside the tests above)")
        for name, seconds in times:
            terminalreporter.write_line(f"{seconds:8.2f}s  {name}")


@pytest.fixture(scope="session")
def faulty_lakehouse(tmp_path_factory):
    """60 patients over 4 days with every fault kind, bronze to gold: read it, or copy it to write."""
    from healthcare_dataops_tests.shared_lakehouses import build

    return build(tmp_path_factory.mktemp("faulty-lakehouse"), 60, "2026-01-01", 4, "--faults", "all")


@pytest.fixture(scope="session")
def small_lakehouse(tmp_path_factory):
    """50 patients, one clean day, bronze to gold: read it, or copy it to write."""
    from healthcare_dataops_tests.shared_lakehouses import build

    return build(tmp_path_factory.mktemp("small-lakehouse"), 50, "2026-01-01", 1)


@pytest.fixture(scope="session")
def scored_lakehouse(tmp_path_factory):
    """600 patients over 2 days (few wearables: the model needs a few hundred labelled
    admissions, not readings), the whole graph with model, scores and drift report, on a
    persistent Dagster instance and MLflow store: read it, never write it."""
    from healthcare_dataops_tests.shared_lakehouses import build_scored

    return build_scored(tmp_path_factory.mktemp("scored-lakehouse"), 600, "2026-01-01", 2,
                        "--device-share", "0.05", "--heart-rate-every-minutes", "60")


@pytest.fixture(scope="session")
def generated_parity_bronze(tmp_path_factory):
    """The generated feeds' bronze rows the JVM parity and Spark cluster tests feed both
    engines (parity.generated_bronze), built once: Arrow tables, read only."""
    from healthcare_dataops_tests.transforms.parity import generated_bronze

    return generated_bronze(tmp_path_factory.mktemp("generated"))


@pytest.fixture(scope="session")
def samples_dir() -> Path:
    """The real source files written by others; tests that need them skip where absent."""
    if not SHARED_SAMPLES.is_dir():
        pytest.skip(
            f"real source samples not found at {SHARED_SAMPLES}: clone the repo beside "
            "shared/ or set HEALTHCARE_DATAOPS_SAMPLES"
        )
    return SHARED_SAMPLES


@pytest.fixture(scope="session")
def spark():
    """The embedded Sail engine, one session for the whole test run."""
    from healthcare_dataops.resources.spark import SparkResource

    return SparkResource().spark_session


@pytest.fixture(scope="session")
def jvm_spark():
    """pyspark's own JVM engine (local[2]) for parity tests; Parquet only, no Delta JARs."""
    import shutil

    if shutil.which("java") is None:
        pytest.skip("Java 17 not found on PATH: the JVM Spark parity engine needs it")
    from healthcare_dataops.resources.spark import SparkResource

    return SparkResource(remote="local[2]").spark_session


@pytest.fixture(scope="session")
def moto_endpoint():
    """One local S3 server for the whole run: the embedded Sail engine keeps its S3 client per
    bucket for the life of its session, so a second server on another port would be a bucket
    it still looks for on the first one's port."""
    from healthcare_dataops_tests.s3_server import moto_server

    with moto_server() as endpoint:
        yield endpoint


@pytest.fixture
def s3_endpoint(moto_endpoint, monkeypatch):
    """The local S3 server emptied for this test, with the AWS variables pointing every client
    at it."""
    import urllib.request

    import boto3

    from healthcare_dataops_tests.s3_server import REGION, aws_environment

    urllib.request.urlopen(urllib.request.Request(f"{moto_endpoint}/moto-api/reset", method="POST"), timeout=30)
    for name, value in aws_environment(moto_endpoint).items():
        monkeypatch.setenv(name, value)
    return boto3.client("s3", endpoint_url=moto_endpoint, region_name=REGION)


@pytest.fixture
def s3_bucket(s3_endpoint) -> str:
    """``s3://lakehouse/healthcare``: a lakehouse root in a new bucket on the local server."""
    s3_endpoint.create_bucket(Bucket="lakehouse")
    return "s3://lakehouse/healthcare"


@pytest.fixture
def processes(tmp_path: Path):
    """Servers a test starts (webserver, daemon, ...), stopped with their workers at teardown."""
    from healthcare_dataops_tests.servers import Processes

    started = Processes(tmp_path)
    try:
        yield started
    finally:
        started.stop_all()

"""The silver and gold transforms on a Spark cluster give the embedded engine's results.

``scripts/spark_cluster.sh`` starts a standalone Spark master, one worker and a JVM Spark
Connect server attached to them on 127.0.0.1, and the project is pointed at it the way a
deployment is: with ``HEALTHCARE_DATAOPS_SPARK_REMOTE`` alone. The generated feeds' bronze
rows (parity's ``generated`` set) are written as Parquet files; the embedded Sail engine and
the cluster each read them with ``spark.read.parquet``, run every silver transform and the
gold features, and write the results with ``df.write.parquet``: on the cluster, the worker's
executors read and write the files. The files are read back with pyarrow and compared by the
parity rules (``parity.assert_same_rows``). Parquet, not Delta: no Delta JARs can be had here.
Beside equal results: the master's state and the executors' own logs show that the work ran
on the worker, and no cluster log holds the pseudonym key.
"""

from __future__ import annotations

import concurrent.futures
import functools
import json
import re
import shutil
import subprocess
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from pyspark.sql import DataFrame, SparkSession

from healthcare_dataops import settings
from healthcare_dataops.lakehouse.silver_writer import outcomes
from healthcare_dataops.resources import build_resources
from healthcare_dataops_tests.transforms import parity

pytestmark = pytest.mark.slow

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "spark_cluster.sh"
APP_NAME = "healthcare-dataops-connect"  # the script's --name for the Connect application

# What each engine computes and writes, with the columns compared approximately (parity's
# float sums: see VITALS_SUMMED and FEATURES_SUMMED there). Each silver table as written to
# silver and quarantine: every conformed bronze row with its dedup outcome.
OUTPUTS: dict[str, tuple[Callable[[parity.Bronze], DataFrame], tuple[str, ...]]] = {
    **{
        name: (lambda bronze, table=table, build=build: outcomes(build(bronze), table), ())
        for name, (table, build) in parity.CONFORMED.items()
    },
    "hourly_vitals": (parity.hourly_vitals, parity.VITALS_SUMMED),
    "patient_features": (parity.patient_features, parity.FEATURES_SUMMED),
}


@dataclass
class Cluster:
    state: Path
    starting: subprocess.Popen

    @functools.cached_property
    def env(self) -> dict[str, str]:
        """cluster.env, once the start script has finished; its output if it failed."""
        out, err = self.starting.communicate(timeout=600)
        assert self.starting.returncode == 0, f"spark_cluster.sh start failed:\n{out}\n{err}"
        env = dict(line.split("=", 1) for line in (self.state / "cluster.env").read_text().splitlines())
        # The script's last line is the one setting to use.
        assert out.splitlines()[-1] == f"{settings.SPARK_REMOTE}={env['CONNECT_URL']}", out
        return env

    def master_state(self) -> dict:
        with urllib.request.urlopen(f"{self.env['MASTER_WEB_UI']}/json/", timeout=10) as response:
            return json.load(response)


def _script(command: str, state: Path) -> subprocess.CompletedProcess:
    # check=False: the caller reads the exit status (status exits 1 when anything is stopped).
    return subprocess.run(
        ["bash", str(SCRIPT), command, str(state)], check=False, capture_output=True, text=True, timeout=180
    )


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    if shutil.which("java") is None:
        pytest.skip("Java 17 not found on PATH: the standalone Spark cluster needs it")
    state = tmp_path_factory.mktemp("spark-cluster")
    # In the background: the three JVMs start while the bronze files are generated.
    starting = subprocess.Popen(
        ["bash", str(SCRIPT), "start", str(state)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    cluster = Cluster(state, starting)
    try:
        yield cluster
    finally:
        if starting.returncode is None:
            starting.communicate(timeout=600)  # stop after a start, never during one
        stopped = _script("stop", state)
        status = _script("status", state)
        assert stopped.returncode == 0, stopped.stderr
        assert status.returncode == 1 and "running" not in status.stdout, f"left running:\n{status.stdout}"


@pytest.fixture(scope="module")
def cluster_spark(cluster) -> SparkSession:
    """The session as the project gets it: from its resources, configured by the one setting."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(settings.SPARK_REMOTE, cluster.env["CONNECT_URL"])
        # dg.build_resources resolves the setting as a Dagster run does (the resource holds
        # an EnvVar, read when the run's resources are initialized).
        with dg.build_resources({"spark": build_resources()["spark"]}) as resources:
            assert resources.spark.remote == cluster.env["CONNECT_URL"]
            session = resources.spark.spark_session
            yield session
    # Released while the server is still up: the engine module's exit hook would otherwise
    # try to release it after the cluster is gone, and pyspark retries that for 10 minutes.
    session.stop()


@pytest.fixture(scope="module")
def bronze_dir(cluster, generated_parity_bronze, tmp_path_factory) -> Path:
    """The generated feeds' bronze tables as Parquet, two files each (two tasks per scan).

    Asks for ``cluster`` first only so that the cluster is starting while the feeds are
    generated (where the parity tests have not generated them already).
    """
    tables = generated_parity_bronze
    root = tmp_path_factory.mktemp("bronze")
    for name, table in tables.items():
        (root / name).mkdir()
        half = table.num_rows // 2
        pq.write_table(table.slice(0, half), root / name / "part-0.parquet")
        pq.write_table(table.slice(half), root / name / "part-1.parquet")
    return root


def _write_outputs(session: SparkSession, bronze_dir: Path, out: Path) -> dict[str, list[tuple[str, str]]]:
    """Every output computed from the bronze files and written as Parquet; Spark's schemas."""
    bronze = parity.from_parquet(session, bronze_dir)
    schemas = {}
    for name, (build, _) in OUTPUTS.items():
        frame = build(bronze)
        schemas[name] = parity.spark_schema(frame)
        frame.write.parquet(str(out / name))
    return schemas


@pytest.fixture(scope="module")
def written(bronze_dir, spark, cluster_spark, tmp_path_factory) -> dict[str, tuple[Path, dict]]:
    """Each engine's output folder and the Spark schemas of what it wrote, by engine."""
    # bronze_dir first: the feeds are generated while the cluster starts; then its session.
    engines = {"sail": spark, "cluster": cluster_spark}
    folders = {name: tmp_path_factory.mktemp(f"out-{name}") for name in engines}
    # Both at once: the cluster's JVMs dominate, Sail's share is small.
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        running = {
            name: pool.submit(_write_outputs, session, bronze_dir, folders[name]) for name, session in engines.items()
        }
        return {name: (folders[name], future.result()) for name, future in running.items()}


def _read_back(folder: Path, schema: list[tuple[str, str]]) -> parity.Result:
    table: pa.Table = pq.read_table(folder)
    return parity.Result(schema, table.column_names, table.to_pylist())


@pytest.mark.parametrize("output", list(OUTPUTS))
def test_cluster_results_equal_the_embedded_engine(written, bronze_dir, output):
    results = {engine: _read_back(folder / output, schemas[output]) for engine, (folder, schemas) in written.items()}
    rows = parity.assert_same_rows(results, approximate=OUTPUTS[output][1])
    assert rows, f"{output}: no rows, so the comparison proves nothing"
    if output in parity.BRONZE_OF:
        # Every bronze row comes out once, conformed or with a reason: nothing dropped.
        assert len(rows) == pq.read_table(bronze_dir / parity.BRONZE_OF[output]).num_rows


def test_the_one_setting_points_the_project_at_the_cluster(cluster, cluster_spark):
    assert cluster_spark.conf.get("spark.master") == cluster.env["MASTER_URL"]


def test_the_work_ran_on_the_workers_executors(cluster, written, bronze_dir):
    state = cluster.master_state()
    [worker] = state["workers"]
    assert worker["state"] == "ALIVE" and worker["coresused"] > 0, worker
    [app] = [a for a in state["activeapps"] if a["name"] == APP_NAME]
    assert app["state"] == "RUNNING" and app["cores"] > 0, app
    # The executors' own logs (the worker's work dir/<app>/<executor>/stderr) name each bronze
    # file they scanned and each output folder their tasks wrote to, not the Connect driver.
    work = Path(cluster.env["WORKER_DIR"], app["id"])
    logs = "".join(p.read_text(errors="replace") for p in work.glob("*/stderr"))

    def named(path: Path) -> str:  # the log writes file:///tmp/... or file:/tmp/...
        return "file:/*" + re.escape(str(path).lstrip("/")) + "/"

    for table in parity.BRONZE_TABLES:
        assert re.search("Reading File path: " + named(bronze_dir / table), logs), f"no executor read bronze {table}"
    for output in OUTPUTS:
        assert re.search("Saved output of task .* to " + named(written["cluster"][0] / output), logs), (
            f"no executor task wrote {output}"
        )


def _key_forms(key: bytes) -> list[str]:
    """The key as hex, and its two RFC 2104 padded forms: each gives the key back by one XOR."""
    assert len(key) <= 64, "keys longer than SHA-256's block are hashed first (RFC 2104)"
    block = key.ljust(64, b"\0")
    return [key.hex(), bytes(b ^ 0x36 for b in block).hex(), bytes(b ^ 0x5C for b in block).hex()]


def test_the_pseudonym_key_stays_out_of_the_cluster_logs(cluster, written):
    """Every pseudonym expression carries the key's padded forms as literals; JVM Spark logs
    scan filters with their literals unless the script's logging configuration quiets it."""
    logs = [p for p in cluster.state.rglob("*")
            if p.is_file() and (p.suffix == ".log" or p.name in ("stderr", "stdout"))]
    assert logs, "no cluster logs to search"
    text = "".join(p.read_text(errors="replace") for p in logs).lower()
    # Counted, not shown: a failure must not print the key it found.
    leaks = sum(text.count(form) for form in _key_forms(parity.KEY))
    assert leaks == 0, f"the pseudonym key is recoverable from the cluster's logs ({leaks} places)"

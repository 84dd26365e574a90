"""Real-time labs as a benchmark entry (``--realtime``): MLLP in, silver out, on the deployment's
own moving parts.

A lakehouse that knows a generated panel's patients (EHR bronze and silver), the broker, the
listener as its own process, and ``dagster-daemon`` evaluating ``lab_stream_sensor`` and
launching each micro-batch as its own run, as production does. ``--rt-messages`` ORU^R01 messages
for those patients are sent at ``--rt-rate`` per second over ``--rt-connections`` MLLP
connections (each waiting for its acknowledgement, as interface engines do). Measured: each
acknowledgement's latency (p50, p99), the messages per second sustained, and for each message
the time from its ``AA`` to its first row in silver ``lab_results`` (silver polled twice a
second, so up to 0.5 s late).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import shutil
import signal
import statistics
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import dagster as dg
from deltalake import DeltaTable

from healthcare_dataops import settings
from healthcare_dataops.benchmark.listener_process import ListenerProcess
from healthcare_dataops.benchmark.mllp_traffic import Exchange, oru_message, send_at_rate
from healthcare_dataops.privacy import keys
from healthcare_dataops.privacy.pseudonyms import pseudonym_of
from healthcare_dataops.streaming.local_broker import LocalBroker

FIRST_DAY = "2026-01-01"
LAB = "NORTHLAB"  # silver's lab is MSH-4's first component: the message key is HMAC(lab|MSH-10)
SILVER_POLL_SECONDS = 0.5


@dataclass(frozen=True)
class RealtimeSizes:
    messages: int = 3_000
    rate_per_second: float = 100.0
    connections: int = 4
    patients: int = 200
    silver_timeout_seconds: float = 600.0


@dataclass
class RealtimeResult:
    sizes: RealtimeSizes
    codes: dict[str, int]
    ack_p50_ms: float
    ack_p99_ms: float
    ack_max_ms: float
    sent_per_second: float
    to_silver_p50_s: float | None
    to_silver_p99_s: float | None
    to_silver_max_s: float | None
    in_silver: int
    micro_batches: int
    seconds: float
    notes: list[str] = field(default_factory=list)

    def to_json(self) -> dict:
        return asdict(self)

    def lines(self) -> list[str]:
        s = self.sizes
        seconds = lambda v: "n/a" if v is None else f"{v:.1f} s"  # noqa: E731
        return [
            f"## Real-time labs: {s.messages:,} ORU^R01 over MLLP at {s.rate_per_second:g}/s on "
            f"{s.connections} connections, into silver through dagster-daemon",
            "",
            "| measure | value | target |",
            "| --- | --- | --- |",
            f"| acknowledgements | {', '.join(f'{c} {n:,}' for c, n in sorted(self.codes.items()))} | all AA |",
            f"| acknowledgement latency p50 / p99 / max | {self.ack_p50_ms:.1f} / {self.ack_p99_ms:.1f} / "
            f"{self.ack_max_ms:.1f} ms | p99 < 200 ms |",
            f"| messages per second sustained | {self.sent_per_second:.1f} | ≥ 100 |",
            f"| AA → row in silver lab_results p50 / p99 / max | {seconds(self.to_silver_p50_s)} / "
            f"{seconds(self.to_silver_p99_s)} / {seconds(self.to_silver_max_s)} | ≤ 60 s |",
            f"| messages in silver | {self.in_silver:,} of {self.codes.get('AA', 0):,} acknowledged | all |",
            f"| micro-batch runs for them | {self.micro_batches} | |",
            "",
            *[f"- {note}" for note in self.notes],
        ]


def run_realtime(workdir: Path, sizes: RealtimeSizes = RealtimeSizes()) -> RealtimeResult:
    started = time.perf_counter()
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)
    mrns = _patients_lakehouse(workdir, sizes.patients)
    with LocalBroker(log_path=workdir / "broker.log") as broker, \
            ListenerProcess(broker.bootstrap_servers, log_path=workdir / "listener.log") as listener:
        env = _deployment_env(workdir, broker.bootstrap_servers)
        daemon = _start_daemon(workdir, env)
        try:
            now = dt.datetime.now(dt.UTC)
            # One message first, timed apart: the daemon's start (its code server, the first
            # tick) is not what a message waits for in a deployment that is up.
            warm_up = asyncio.run(send_at_rate("127.0.0.1", listener.port, [("WARMUP", oru_message(
                "WARMUP", mrns[0], observed=now, lab=LAB))], rate_per_second=1, connections=1))
            warmed = _wait_for_silver(workdir / "lakehouse", warm_up, sizes.silver_timeout_seconds)
            messages = [(f"BENCH{n:07d}", oru_message(f"BENCH{n:07d}", mrns[n % len(mrns)], observed=now, lab=LAB))
                        for n in range(sizes.messages)]
            exchanges = asyncio.run(send_at_rate("127.0.0.1", listener.port, messages,
                                                 rate_per_second=sizes.rate_per_second,
                                                 connections=sizes.connections))
            seen = _wait_for_silver(workdir / "lakehouse", exchanges, sizes.silver_timeout_seconds)
        finally:
            _stop(daemon)
        batches = _micro_batches(workdir / "dagster_home")
    result = _result(sizes, exchanges, seen, batches - 1, time.perf_counter() - started)
    if warmed:
        result.notes.append(f"Before the measured messages, one warm-up message took "
                            f"{(warmed['WARMUP'] - warm_up[0].acknowledged_at).total_seconds():.1f} s from AA to "
                            "silver with the daemon just started (its code server, the first tick, the first run).")
    return result


def _patients_lakehouse(workdir: Path, patients: int) -> list[str]:
    """Generated EHR feeds of one day through bronze and silver patients; their MRNs."""
    from healthcare_dataops.cli import main as cli
    from healthcare_dataops.definitions import defs
    from healthcare_dataops.resources import (
        LakehouseResource,
        LandingZoneResource,
        PseudonymizationResource,
        SparkResource,
    )

    cli(["generate", "--landing", str(workdir / "landing"), "--side", str(workdir / "side"), "--patients",
         str(patients), "--days", "1", "--start-date", FIRST_DAY, "--sources", "ehr", "--quiet"])
    result = dg.materialize(
        [*defs.assets], selection=dg.AssetSelection.assets("patients").upstream().required_multi_asset_neighbors(),
        partition_key=FIRST_DAY,
        resources={"landing_zone": LandingZoneResource(root=str(workdir / "landing")),
                   "lakehouse": LakehouseResource(root=str(workdir / "lakehouse")), "spark": SparkResource(),
                   "pseudonymization": PseudonymizationResource(),
                   "kafka": defs.resources["kafka"], "mlflow_tracking": defs.resources["mlflow_tracking"]},
    )
    assert result.success
    ids = DeltaTable(str(workdir / "lakehouse" / "bronze" / "ehr_patients")).to_pyarrow_table(columns=["id"])["id"]
    return sorted(ids.to_pylist())


def _deployment_env(workdir: Path, bootstrap_servers: str) -> dict[str, str]:
    home = workdir / "dagster_home"
    home.mkdir()
    shutil.copyfile(settings.project_root() / "dagster.yaml", home / "dagster.yaml")
    env = {k: v for k, v in os.environ.items() if not k.startswith(settings.ENV_PREFIX)}
    env.update({"DAGSTER_HOME": str(home), "DO_NOT_TRACK": "true", settings.DATA_DIR: str(workdir),
                settings.LANDING_ROOT: str(workdir / "landing"), settings.LAKEHOUSE_ROOT: str(workdir / "lakehouse"),
                settings.KAFKA_BOOTSTRAP_SERVERS: bootstrap_servers,
                "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"})
    return env


def _start_daemon(workdir: Path, env: dict[str, str]) -> subprocess.Popen:
    module = ["-m", "healthcare_dataops.definitions"]
    subprocess.run(["dagster", "sensor", "start", "lab_stream_sensor", *module], env=env, cwd=workdir,
                   check=True, capture_output=True, timeout=300)
    with open(workdir / "daemon.log", "wb") as log:
        return subprocess.Popen(["dagster-daemon", "run", *module], env=env, cwd=workdir, stdout=log,
                                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)


def _stop(process: subprocess.Popen) -> None:
    """The daemon, its code server (a process of its own session) and run workers: SIGTERM,
    then SIGKILL for what is left (Dagster may ignore SIGTERM)."""
    import psutil

    try:
        children = psutil.Process(process.pid).children(recursive=True)
    except psutil.NoSuchProcess:
        children = []
    for sig, wait in ((signal.SIGTERM, 10), (signal.SIGKILL, 30)):
        try:
            os.killpg(process.pid, sig)
            process.wait(timeout=wait)
            break
        except ProcessLookupError:
            break
        except subprocess.TimeoutExpired:
            continue
    for child in children:
        try:
            child.kill()
        except psutil.NoSuchProcess:
            pass


def _wait_for_silver(lakehouse: Path, exchanges: list[Exchange], timeout_seconds: float) -> dict[str, dt.datetime]:
    """message key → when it was first seen in silver lab_results."""
    key = keys.key_bytes(keys.DEVELOPMENT_KEY)
    wanted = {pseudonym_of(f"{LAB}|{e.control_id}", key, "message"): e.control_id
              for e in exchanges if e.code == "AA"}
    seen: dict[str, dt.datetime] = {}
    deadline = time.monotonic() + timeout_seconds
    uri = str(lakehouse / "silver" / "lab_results")
    while len(seen) < len(wanted) and time.monotonic() < deadline:
        now = dt.datetime.now(dt.UTC)
        if DeltaTable.is_deltatable(uri):
            in_silver = DeltaTable(uri).to_pyarrow_table(columns=["message_key"])["message_key"].to_pylist()
            for message_key in set(in_silver):
                if message_key in wanted and wanted[message_key] not in seen:
                    seen[wanted[message_key]] = now
        time.sleep(SILVER_POLL_SECONDS)
    return seen


def _micro_batches(home: Path) -> int:
    instance = dg.DagsterInstance.from_config(str(home))
    try:
        return len(instance.get_run_records(dg.RunsFilter(job_name="lab_stream_job")))
    finally:
        instance.dispose()


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def _result(sizes: RealtimeSizes, exchanges: list[Exchange], seen: dict[str, dt.datetime], batches: int,
            seconds: float) -> RealtimeResult:
    codes: dict[str, int] = {}
    for e in exchanges:
        codes[e.code] = codes.get(e.code, 0) + 1
    latencies = [e.latency_seconds * 1000 for e in exchanges]
    span = max(e.acknowledged for e in exchanges) - min(e.sent for e in exchanges)
    to_silver = [(seen[e.control_id] - e.acknowledged_at).total_seconds() for e in exchanges if e.control_id in seen]
    notes = [f"{codes.get('AA', 0) - len(seen)} acknowledged messages not in silver within "
             f"{sizes.silver_timeout_seconds:.0f} s"] if len(seen) < codes.get("AA", 0) else []
    return RealtimeResult(
        sizes=sizes, codes=codes,
        ack_p50_ms=statistics.median(latencies), ack_p99_ms=_percentile(latencies, 0.99), ack_max_ms=max(latencies),
        sent_per_second=len(exchanges) / span,
        to_silver_p50_s=statistics.median(to_silver) if to_silver else None,
        to_silver_p99_s=_percentile(to_silver, 0.99) if to_silver else None,
        to_silver_max_s=max(to_silver) if to_silver else None,
        in_silver=len(seen), micro_batches=batches, seconds=seconds, notes=notes,
    )

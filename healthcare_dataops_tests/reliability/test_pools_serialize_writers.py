"""Concurrency pools on a real ``dagster-daemon``: the queue holds a run while another run that
writes the same table family is in progress, and no row is lost or doubled.

Why run granularity. With op granularity (each step claims a slot of its pool), Dagster 1.13.27
let two steps of different runs hold a pool of limit one at once, in about one run in six of an
earlier version of this test. Claiming a slot and freeing one (``SqlEventLogStorage``'s
``claim_concurrency_slot``, ``free_concurrency_slot_for_step``) are several transactions each,
and the last guard, an ``UPDATE`` of the slot row by its id without ``step_key IS NULL``, lets a
claim interleaved with a free hand one slot to two steps; the double claim was reproduced
outside the project with the storage calls alone, on SQLite and on PostgreSQL. Both instance
files therefore set ``concurrency.pools.granularity: run``: the daemon draining the
QueuedRunCoordinator does not dequeue a run while a run holding one of its pools is in progress
(STARTING, STARTED or CANCELING), and steps claim no slots.

What this test proves. A backfill over two delivery days (``dagster job backfill``, which makes
one run per day itself and queues them) and a daily run of a third day (``dagster job launch``)
are queued at once through a code location's gRPC server; the daemon, started once all three
are queued, meets them in one pass with room to start all three together (``max_concurrent_runs:
3``, no tag limits, threaded dequeue), on a SQLite instance whose ``concurrency.pools`` block is
read from deploy/dagster.yaml (dagster.yaml must hold the same). The job is the project's EHR
bronze and silver assets with their checks (pools_location.py), so every run holds
``bronze_ehr_tables`` and ``silver_ehr_tables``. Then: all three runs succeed; no two of them
were in progress at once (dequeue to end, from their events and run records), nor two steps of
one pool in different runs; each run after the first was queued when the one before it was
dequeued, stayed QUEUED through the whole of it, was dequeued only after it ended, and was
logged by the daemon as blocked by its pools; no step claimed or waited for a slot; every pool is
free at the end; every check passed (the GX suites and conservation), bronze holds each day's
delivered rows once, silver one row per key, the very row a serial run keeps. Without the pools
block the three runs start in the same second, and the test fails.

The first pass. Dagster 1.13.27's queue reads which pools the instance knows at the start of a
pass, and only then enters a new pool at the default limit: the pass that first meets a pool does
not limit it, and starts every queued run that names it (reproduced outside the project, with a
one-asset job: two runs on a fresh instance started together, two later ones took turns). The
test therefore enters the pools in the instance before the daemon starts, with the same storage
call the daemon makes; an instance only meets that pass once per pool, but on a fresh one (or
for a new pool) it is the first runs that meet it.

What it does not cover. A run the CLI executes in-process (``dagster asset materialize``) never
goes through the queue, and its steps claim no slots: no pool holds it back, even while a run
holding its pools is in progress (the queue does count it as in progress, so runs dequeued after
it started wait for it). Only runs launched through the queue (UI, ``dagster job
launch``/``backfill``, sensors, schedules) are sure to take turns.

What Dagster records and this test reads: each run's RUN_ENQUEUED (queued by the CLI),
RUN_STARTING (dequeued by the daemon), RUN_START and RUN_SUCCESS events, the last two also its
run record's start and end times; each step's STEP_START .. STEP_SUCCESS events; the daemon's log
line ``Run <id> is blocked by global concurrency limits: {<pool>: {...}}``
(``QueuedRunCoordinatorDaemon``, logged once each time the queue starts holding a run back for a
pool); and the instance's concurrency table (pool limits, claimed slots, pending steps).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import socket
import subprocess
import time
from collections import defaultdict
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

import dagster as dg
import pandas as pd
import pyarrow.compute as pc
import pytest
import yaml
from deltalake import DeltaTable

from healthcare_dataops.cli import main as cli
from healthcare_dataops.defs.bronze.ehr import EHR_BRONZE_TABLES
from healthcare_dataops.lib.pools import table_family
from healthcare_dataops_tests.conftest import REPO_ROOT
from healthcare_dataops_tests.loopback import free_port
from healthcare_dataops_tests.project_env import project_environment
from healthcare_dataops_tests.reliability.pools_location import JOB
from healthcare_dataops_tests.servers import Processes, wait_for

LOCATION = "pools_test"
FIRST_DAY = "2026-01-01"
DAYS = [FIRST_DAY, "2026-01-02", "2026-01-03"]
BACKFILL_DAYS, DAILY_DAY = DAYS[:2], DAYS[2]
# The pools every run holds: all that the job's steps name.
CONTENDED_POOLS = (table_family("bronze", "ehr"), table_family("silver", "ehr"))
SILVER_EHR_TABLES = ("patients", "encounters", "conditions", "medications", "observations")
SERVER_READY_TIMEOUT_S = 90
CLI_TIMEOUT_S = 120
RUNS_TIMEOUT_S = 240
POLL_S = 0.25
# The executor's event for a step refused a slot of its pool (op granularity only).
STEP_BLOCKED = "Step blocked by limit for pool "
# The daemon's log line for a run its queue holds back for a pool (QueuedRunCoordinatorDaemon).
BLOCKED_LOG = re.compile(r"Run (?P<run_id>[0-9a-f-]{36}) is blocked by global concurrency limits: (?P<info>\{.*\})$")


def _pools_block(instance_file: Path) -> dict:
    """The ``concurrency.pools`` block of an instance file ({} when it has none)."""
    return (yaml.safe_load(instance_file.read_text()).get("concurrency") or {}).get("pools") or {}


def _instance_yaml(pools: dict) -> str:
    """The test's instance: the production pools, and a queue that would start all three runs at once."""
    concurrency: dict = {"runs": {"max_concurrent_runs": 3}, **({"pools": pools} if pools else {})}
    return "\n".join([
        "telemetry:",
        "  enabled: false",
        "run_coordinator:",
        "  module: dagster",
        "  class: QueuedRunCoordinator",
        "  config:",
        # The queue is drained every second (not 5), and the runs one pass lets through are
        # launched side by side (a launch waits seconds for its worker): were the pools not
        # holding them back, the three runs would start together.
        "    dequeue_interval_seconds: 1",
        "    dequeue_use_threads: true",
        "    dequeue_num_workers: 3",
        # Room for all three runs and no tag limits: only the pools can hold a run back.
        yaml.safe_dump({"concurrency": concurrency}, sort_keys=False),
    ])


@dataclass(frozen=True)
class Execution:
    """One attempt of a step: STEP_START (or STEP_RESTARTED) to its end event."""

    run_id: str
    step: str
    pool: str | None
    start: float
    end: float

    def overlaps(self, other: Execution) -> bool:
        return self.start < other.end and other.start < self.end


@dataclass(frozen=True)
class Lifecycle:
    """A run's status history, from its event log: queued, dequeued, started, ended."""

    run_id: str
    day: str
    enqueued: float
    starting: float
    start: float
    end: float

    def in_progress_with(self, other: Lifecycle) -> bool:
        # In progress (holding its pools) from the daemon's dequeue (STARTING) to its end.
        return self.starting < other.end and other.starting < self.end


def _grpc_healthy(port: int, env: dict[str, str]) -> bool:
    # The port opens once the server has loaded the code: only then is the (1.7 s) health check worth asking.
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except OSError:
        return False
    return subprocess.run(["dagster", "api", "grpc-health-check", "-p", str(port)], env=env, check=False,
                          capture_output=True, timeout=30).returncode == 0


def _register_pools(instance: dg.DagsterInstance, queued: list[dg.DagsterRun]) -> None:
    """Before the daemon's first pass, enter the queued runs' pools (as Dagster recorded them on
    each run, which is what the queue reads) in the instance at the default limit: the very call
    the daemon makes itself on first meeting a pool, a pass too late (see the module docstring)."""
    for run in queued:
        assert run.run_op_concurrency and set(run.run_op_concurrency.all_pools or ()) == set(CONTENDED_POOLS), (
            f"the queue does not see the pools {CONTENDED_POOLS} in {run.run_id}: {run.run_op_concurrency}")
    for pool in CONTENDED_POOLS:
        instance.event_log_storage.initialize_concurrency_limit_to_default(pool)


def _claims(instance: dg.DagsterInstance) -> list[tuple[str, str, str]]:
    """(pool, run id, step) of every claimed slot or pending step in the contended pools now."""
    infos = instance.event_log_storage.get_concurrency_infos(list(CONTENDED_POOLS))
    return [(pool, s.run_id, s.step_key) for pool, info in infos.items()
            for s in [*info.claimed_slots, *info.pending_steps]]


def _step_pools(instance: dg.DagsterInstance, run: dg.DagsterRun) -> dict[str, str | None]:
    """Each step's pool as the run's execution plan (its snapshot in the instance) names it."""
    plan = instance.get_execution_plan_snapshot(run.execution_plan_snapshot_id)
    return {step.key: step.pool for step in plan.steps}


def _executions(instance: dg.DagsterInstance, run: dg.DagsterRun) -> list[Execution]:
    pools = _step_pools(instance, run)
    begins = {dg.DagsterEventType.STEP_START, dg.DagsterEventType.STEP_RESTARTED}
    ends = {dg.DagsterEventType.STEP_SUCCESS, dg.DagsterEventType.STEP_FAILURE, dg.DagsterEventType.STEP_UP_FOR_RETRY}
    started: dict[str, float] = {}
    found = []
    for entry in instance.all_logs(run.run_id, of_type=begins | ends):
        kind, step = entry.dagster_event_type, entry.step_key
        if kind in begins:
            assert step not in started, f"{step} of {run.run_id} started twice without an end"
            started[step] = entry.timestamp
        else:
            found.append(Execution(run.run_id, step, pools[step], started.pop(step), entry.timestamp))
    assert not started, f"steps of {run.run_id} that never ended: {started}"
    return found


def _lifecycle(instance: dg.DagsterInstance, run: dg.DagsterRun) -> Lifecycle:
    """Queued by the CLI, then dequeued by the daemon, started and ended, each once and in that order."""
    kinds = [dg.DagsterEventType.RUN_ENQUEUED, dg.DagsterEventType.RUN_STARTING, dg.DagsterEventType.RUN_START,
             dg.DagsterEventType.RUN_SUCCESS]
    events = instance.all_logs(run.run_id, of_type=set(kinds))
    assert [e.dagster_event_type for e in events] == kinds, (run.run_id, [e.dagster_event_type for e in events])
    [record] = instance.get_run_records(dg.RunsFilter(run_ids=[run.run_id]))
    # The run record's start and end times are those of its RUN_START and RUN_SUCCESS events (to
    # the float precision they are stored with).
    assert record.start_time == pytest.approx(events[2].timestamp, abs=1e-3), (record, events[2])
    assert record.end_time == pytest.approx(events[3].timestamp, abs=1e-3), (record, events[3])
    return Lifecycle(run.run_id, run.tags["dagster/partition"], events[0].timestamp, events[1].timestamp,
                     record.start_time, record.end_time)


def _daemon_blocks(daemon_log: Path) -> list[tuple[str, dict]]:
    """(run id, the queue's count per pool) for each time the daemon logged a run held back by its pools."""
    found = []
    for line in daemon_log.read_text(errors="replace").splitlines():
        if match := BLOCKED_LOG.search(line.rstrip()):
            found.append((match["run_id"], json.loads(match["info"])))
    return found


def _timeline(lives: list[Lifecycle], executions: list[Execution]) -> str:
    """Who was queued, ran what, when, for a failure message: seconds from the first enqueue, run by its day."""
    day = {life.run_id: life.day for life in lives}
    lines = [(x.start, f"{day[x.run_id]}   {x.step} [{x.pool or '-'}] until +{{end:.2f}}", x.end) for x in executions]
    for life in lives:
        lines += [(life.enqueued, f"{life.day} QUEUED", None), (life.starting, f"{life.day} STARTING (dequeued)", None),
                  (life.start, f"{life.day} STARTED", None), (life.end, f"{life.day} SUCCESS", None)]
    t0 = min(at for at, _, _ in lines)
    return "\n".join(f"+{at - t0:6.2f} " + text.format(end=(end or t0) - t0) for at, text, end in sorted(lines))


def _assert_runs_took_turns(lives: list[Lifecycle], executions: list[Execution], timeline: str) -> None:
    """1. No two runs holding a pool were in progress at once, nor two steps of one pool in
    different runs; every pool was held by every run in its turn."""
    for i, a in enumerate(lives):
        for b in lives[i + 1:]:
            assert not a.in_progress_with(b), f"runs of {a.day} and {b.day} were in progress at once:\n{timeline}"
    by_pool: dict[str, list[Execution]] = defaultdict(list)
    for x in executions:
        if x.pool:
            by_pool[x.pool].append(x)
    assert set(CONTENDED_POOLS) <= set(by_pool), sorted(by_pool)
    for pool in CONTENDED_POOLS:
        assert {x.run_id for x in by_pool[pool]} == {life.run_id for life in lives}, f"not every run wrote in {pool}"
    for pool, found in by_pool.items():
        clashes = [(a, b) for i, a in enumerate(found) for b in found[i + 1:] if a.run_id != b.run_id and a.overlaps(b)]
        assert not clashes, f"steps in pool {pool} of different runs overlapped: {clashes}\n{timeline}"


def _assert_held_by_the_pools(lives: list[Lifecycle], blocks: list[tuple[str, dict]], timeline: str) -> dict[str, int]:
    """2. The queue did it: every run after the first was already queued when the daemon dequeued
    the one before it, stayed QUEUED through the whole of that run and was dequeued only after it
    ended; and the daemon logged each of them as blocked by its pools (the queue's count per pool:
    one slot, taken by a run in progress or launched in the same pass), the only limit that could
    hold a run back here."""
    by_start = sorted(lives, key=lambda life: life.starting)
    for before, held in pairwise(by_start):
        assert held.enqueued < before.starting and held.starting >= before.end, (
            f"the run of {held.day} was not held in the queue through the run of {before.day}:\n{timeline}")
    blocked_runs: dict[str, int] = defaultdict(int)
    for run_id, info in blocks:
        assert set(info) <= set(CONTENDED_POOLS) and info, (run_id, info)
        for pool, counts in info.items():
            assert counts["granularity"] == "run" and counts["slot_count"] == 1, (run_id, pool, counts)
            assert counts["in_progress_count"] + counts["launched_count"] >= 1, (run_id, pool, counts)
        blocked_runs[run_id] += 1
    assert {life.run_id for life in by_start[1:]} <= set(blocked_runs), (
        f"the daemon did not log every held run as blocked by the pools: {blocks}\n{timeline}")
    return {life.day: blocked_runs[life.run_id] for life in lives}


def _assert_pools_free(instance: dg.DagsterInstance, runs: list[dg.DagsterRun],
                       claims_seen: list[tuple[str, str, str]], pool_names: set[str]) -> None:
    """3. No step claimed a slot or waited for one (run granularity: the queue holds whole runs,
    the executor claims nothing), and at the end every pool is free: no run queued or in progress,
    each pool at the default limit of one with no slot claimed and no step pending."""
    assert not claims_seen, f"steps claimed pool slots (op granularity?): {claims_seen[:10]}"
    for run in runs:
        waits = [e.message for e in instance.all_logs(run.run_id, of_type=dg.DagsterEventType.ENGINE_EVENT)
                 if e.step_key and e.message.startswith(STEP_BLOCKED)]
        assert not waits, f"steps of {run.run_id} waited for a pool slot: {waits}"
    holding = [dg.DagsterRunStatus.QUEUED, dg.DagsterRunStatus.STARTING, dg.DagsterRunStatus.STARTED,
               dg.DagsterRunStatus.CANCELING]
    assert not instance.get_runs(dg.RunsFilter(statuses=holding)), "a run is still queued or in progress"
    for pool in pool_names:
        info = instance.event_log_storage.get_concurrency_info(pool)
        assert (info.slot_count, info.limit, info.using_default_limit) == (1, 1, True), (pool, info)
        assert not info.claimed_slots and not info.pending_steps, (pool, info)


def _check_evaluations(instance: dg.DagsterInstance, run_id: str) -> list[tuple[str, str, bool]]:
    return [(e.dagster_event.event_specific_data.asset_key.to_user_string(),
             e.dagster_event.event_specific_data.check_name, e.dagster_event.event_specific_data.passed)
            for e in instance.all_logs(run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION)]


def _delta(lakehouse: Path, layer: str, table: str, columns: list[str]) -> pd.DataFrame:
    frame = DeltaTable(str(lakehouse / layer / table)).to_pyarrow_dataset().to_table(columns=columns).to_pandas()
    if "delivery_date" in frame:
        frame["delivery_date"] = frame["delivery_date"].map(lambda d: d.isoformat())
    return frame


LINEAGE = ["source_file_sha256", "source_position", "delivery_date"]


def _serial_winners(lakehouse: Path, table: str, bronze_table: str) -> tuple[set[tuple], int, int]:
    """What a serial run leaves in a silver table keyed by its bronze ``id``, as the lineage
    of the winning bronze row per key: of the rows not quarantined, the newest delivery day,
    then the later file content, then the later line (silver.outcomes and upsert's rule).
    Also: how many usable bronze rows there were, and how many keys are in more than one bronze row."""
    bronze = _delta(lakehouse, "bronze", bronze_table, ["id", "source_file_sha256", "source_line", "delivery_date"])
    bronze["source_position"] = "line " + bronze["source_line"].astype(str)
    quarantined = set(_delta(lakehouse, "silver", f"{table}_quarantine", LINEAGE).itertuples(index=False, name=None))
    usable = bronze[[row not in quarantined for row in bronze[LINEAGE].itertuples(index=False, name=None)]]
    newest_first = usable.sort_values(["delivery_date", "source_file_sha256", "source_line"], ascending=False)
    winners = newest_first.drop_duplicates("id")
    repeated = int((usable["id"].value_counts() > 1).sum())
    return set(winners[LINEAGE].itertuples(index=False, name=None)), len(usable), repeated


def _bronze_rows_per_day(lakehouse: Path, table: str) -> dict[str, int]:
    dataset = DeltaTable(str(lakehouse / "bronze" / table)).to_pyarrow_dataset()
    return {day: dataset.count_rows(filter=pc.field("delivery_date") == dt.date.fromisoformat(day)) for day in DAYS}


def _delivered_rows_per_day(manifest: dict, table: str) -> dict[str, int]:
    """Rows the generator wrote into the day's file of EHR table ``table`` (its ledger), by day."""
    rows = defaultdict(int)
    for path, counts in manifest["expected"]["files"].items():
        if counts["table"] == table:
            [day] = [part for part in Path(path).parts if part in DAYS]
            rows[day] += counts["rows"]
    return {day: rows[day] for day in DAYS}


def _assert_rows_accounted_for(instance: dg.DagsterInstance, runs: list[dg.DagsterRun], lakehouse: Path,
                               side: Path) -> dict[str, dict[str, int]]:
    """4. Every row accounted for: every check of every run passed (the GX suites, and
    conservation: per day, bronze rows = written + quarantined + duplicates), bronze holds each
    day's delivered rows once, and silver patients and encounters hold exactly one row per
    distinct bronze key, the very row a serial run keeps."""
    for run in runs:
        found = _check_evaluations(instance, run.run_id)
        assert set(SILVER_EHR_TABLES) <= {asset for asset, _, _ in found}, (run.run_id, found)
        assert {(a, c) for a, c, _ in found} >= {(t, "conservation") for t in SILVER_EHR_TABLES}, (run.run_id, found)
        assert all(passed for _, _, passed in found), (run.run_id, [e for e in found if not e[2]])
    manifest = json.loads((side / "manifest.json").read_text())
    for name, table in EHR_BRONZE_TABLES.items():
        assert _bronze_rows_per_day(lakehouse, table.name) == _delivered_rows_per_day(manifest, name), table.name
    totals = {}
    for table, key in (("patients", "patient_id"), ("encounters", "encounter_id")):
        expected, usable, repeated = _serial_winners(lakehouse, table, EHR_BRONZE_TABLES[table].name)
        silver = _delta(lakehouse, "silver", table, [key, *LINEAGE])
        assert silver[key].is_unique, f"silver {table} holds a key twice"
        assert set(silver[LINEAGE].itertuples(index=False, name=None)) == expected, table
        assert len(silver) == len(expected) > 0, table
        totals[table] = {"silver rows": len(silver), "usable bronze rows": usable,
                         "keys in more than one bronze row": repeated}
    return totals


@pytest.mark.slow
def test_pools_hold_a_run_in_the_queue_while_another_writes_and_lose_no_row(processes: Processes, tmp_path: Path):
    # The pools of the production instance file, which the local one must hold too.
    pools = _pools_block(REPO_ROOT / "deploy" / "dagster.yaml")
    assert _pools_block(REPO_ROOT / "dagster.yaml") == pools, "dagster.yaml and deploy/dagster.yaml differ in pools"
    landing, side, data = tmp_path / "landing", tmp_path / "side", tmp_path / "data"
    cli(["generate", "--landing", str(landing), "--side", str(side), "--patients", "50", "--days", str(len(DAYS)),
         "--start-date", FIRST_DAY, "--sources", "ehr", "--quiet"])
    home = tmp_path / "dagster_home"
    env = project_environment(home, landing, data)
    (home / "dagster.yaml").write_text(_instance_yaml(pools))
    code_port = free_port()
    workspace = tmp_path / "workspace.yaml"
    workspace.write_text(f"load_from:\n  - grpc_server:\n      host: 127.0.0.1\n      port: {code_port}\n"
                         f"      location_name: {LOCATION}\n")
    processes.start("code-server", ["dagster", "code-server", "start", "-h", "127.0.0.1", "-p", str(code_port),
                                    "-m", "healthcare_dataops_tests.reliability.pools_location",
                                    "-d", str(REPO_ROOT)], env, cwd=tmp_path)
    wait_for("the code server answering its gRPC health check", lambda: _grpc_healthy(code_port, env),
             SERVER_READY_TIMEOUT_S, processes, every_s=0.2)
    # Both launches at once, as an operator's backfill and the daily run would come. The CLIs
    # create the runs (the backfill's, one per day, without the daemon's backfill loop) and
    # queue them; the daemon, started once all three are queued, finds them all in its first
    # pass. The queue takes runs by priority, then in the order they were queued, and which CLI
    # queues first is a race: the daily run's lower priority makes the days go in delivery
    # order, as a serial run takes them (a later day loaded before the first one quarantines its
    # encounters as of unknown patients, and its freshness warning fails: no concern of pools).
    cli_logs = {name: tmp_path / f"{name}.log" for name in ("backfill", "launch")}
    commands = {
        "backfill": ["dagster", "job", "backfill", "-w", str(workspace), "-j", JOB, "--noprompt",
                     "--from", BACKFILL_DAYS[0], "--to", BACKFILL_DAYS[-1]],
        "launch": ["dagster", "job", "launch", "-w", str(workspace), "-j", JOB,
                   "--tags", json.dumps({"dagster/partition": DAILY_DAY, "dagster/priority": "-1"})],
    }
    launches = {}
    for name, argv in commands.items():
        with open(cli_logs[name], "wb") as out:
            launches[name] = subprocess.Popen(argv, env=env, cwd=tmp_path, stdout=out, stderr=subprocess.STDOUT,
                                              stdin=subprocess.DEVNULL)
    for name, launch in launches.items():
        assert launch.wait(timeout=CLI_TIMEOUT_S) == 0, f"`{name}` exited {launch.returncode}:\n" \
                                                       f"{cli_logs[name].read_text()[-3000:]}"

    instance = dg.DagsterInstance.from_config(str(home))
    claims_seen: list[tuple[str, str, str]] = []
    try:
        queued = instance.get_runs(dg.RunsFilter(job_name=JOB))
        assert len(queued) == len(DAYS) and {r.status for r in queued} == {dg.DagsterRunStatus.QUEUED}, queued
        _register_pools(instance, queued)
        daemon_log = processes.start("daemon", ["dagster-daemon", "run", "-w", str(workspace)], env, cwd=tmp_path)
        deadline = time.monotonic() + RUNS_TIMEOUT_S
        while True:
            claims_seen += _claims(instance)
            runs = instance.get_runs(dg.RunsFilter(job_name=JOB))
            if all(r.is_finished for r in runs):
                break
            assert all(p.poll() is None for p, _ in processes.started), f"a server exited\n{processes.logs()}"
            assert time.monotonic() < deadline, (f"runs {[(r.run_id, r.status.value) for r in runs]} "
                                                 f"not finished in {RUNS_TIMEOUT_S} s\n{processes.logs()}")
            time.sleep(POLL_S)

        backfill_runs = sorted((r for r in runs if "dagster/backfill" in r.tags),
                               key=lambda r: r.tags["dagster/partition"])
        [daily] = [r for r in runs if "dagster/backfill" not in r.tags]
        assert [r.tags["dagster/partition"] for r in backfill_runs] == BACKFILL_DAYS
        assert daily.tags["dagster/partition"] == DAILY_DAY
        # The CLI itself made the backfill's runs, one per day, and recorded it done at once.
        [backfill] = instance.get_backfills()
        assert backfill.partition_names == BACKFILL_DAYS
        assert {r.tags["dagster/backfill"] for r in backfill_runs} == {backfill.backfill_id}
        for run in runs:
            failures = "\n".join(f"{e.step_key}: {e.message}" for e in instance.all_logs(
                run.run_id, of_type={dg.DagsterEventType.STEP_FAILURE, dg.DagsterEventType.RUN_FAILURE}))
            assert run.status == dg.DagsterRunStatus.SUCCESS, f"{run.run_id} {run.status}: {failures}"

        # Queued by the CLIs, dequeued by the daemon, in the order of the days.
        lives = sorted((_lifecycle(instance, run) for run in runs), key=lambda life: life.starting)
        executions = [x for run in runs for x in _executions(instance, run)]
        timeline = _timeline(lives, executions)
        assert [life.day for life in lives] == DAYS, timeline
        _assert_runs_took_turns(lives, executions, timeline)
        blocked = _assert_held_by_the_pools(lives, _daemon_blocks(daemon_log), timeline)
        _assert_pools_free(instance, runs, claims_seen, {x.pool for x in executions if x.pool})
        totals = _assert_rows_accounted_for(instance, runs, data / "lakehouse", side)

        print(f"pools: {pools}")
        print("runs in turn (day: s queued, s in progress, times the daemon logged it blocked): "
              + str({life.day: (round(life.starting - life.enqueued, 1), round(life.end - life.starting, 1),
                                blocked[life.day]) for life in lives}))
        print(timeline)
        print(f"rows: {totals}")
    finally:
        instance.dispose()

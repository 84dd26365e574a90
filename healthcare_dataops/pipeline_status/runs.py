"""Runs per job: how many succeeded and failed, and how long the newest finished one took."""

from __future__ import annotations

from dataclasses import dataclass

import dagster as dg

# Runs read to find the jobs that ran (besides the defined ones): the newest this many.
RECENT_RUNS = 200
FINISHED = (dg.DagsterRunStatus.SUCCESS, dg.DagsterRunStatus.FAILURE)


@dataclass(frozen=True)
class JobRuns:
    job: str
    succeeded: int
    failed: int
    last_duration_seconds: float | None


def job_runs(instance: dg.DagsterInstance, jobs: tuple[str, ...]) -> list[JobRuns]:
    """Every defined job, and any other that ran lately (``dg.materialize`` runs, for one)."""
    recent = instance.get_run_records(limit=RECENT_RUNS)
    names = sorted(set(jobs) | {r.dagster_run.job_name for r in recent})
    found = []
    for job in names:
        count = lambda status, job=job: instance.get_runs_count(  # noqa: E731
            dg.RunsFilter(job_name=job, statuses=[status]))
        last = instance.get_run_records(dg.RunsFilter(job_name=job, statuses=list(FINISHED)), limit=1)
        duration = None
        if last and last[0].start_time and last[0].end_time:
            duration = last[0].end_time - last[0].start_time
        found.append(JobRuns(job, count(dg.DagsterRunStatus.SUCCESS), count(dg.DagsterRunStatus.FAILURE), duration))
    return found

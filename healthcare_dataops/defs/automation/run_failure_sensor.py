"""``run_failure_sensor``: every failed run reported with what failed and where to look.

The message names the job, the run, its partition or range, each failed step with the first
line of its error, and the run's page in the UI. It goes to the sensor's log and, where
HEALTHCARE_DATAOPS_ALERT_WEBHOOK_URL is set, to that incoming webhook as ``{"text": ...}``
(the shape Slack and Mattermost take). Running by default: an alert someone must remember to
switch on is an alert nobody gets.
"""

import http.client
import json
import os
import urllib.request

import dagster as dg

from healthcare_dataops.settings import ALERT_WEBHOOK_URL, DAGSTER_UI_URL, DEFAULT_DAGSTER_UI_URL

WEBHOOK_TIMEOUT_SECONDS = 10
# An error can quote the data that broke a step: only its first line, capped, goes out.
MAX_ERROR_CHARS = 300
_WRAPPERS = {"DagsterExecutionStepExecutionError", "RetryRequestedFromPolicy", "RetryRequested"}


@dg.run_failure_sensor(name="run_failure_sensor", default_status=dg.DefaultSensorStatus.RUNNING)
def run_failure_sensor(context: dg.RunFailureSensorContext):
    message = failure_message(context)
    context.log.error(message)
    url = os.environ.get(ALERT_WEBHOOK_URL)
    if url:
        post_alert(url, message, context.log)


def failure_message(context: dg.RunFailureSensorContext) -> str:
    run = context.dagster_run
    ui = os.environ.get(DAGSTER_UI_URL) or DEFAULT_DAGSTER_UI_URL
    steps = [f"  - {e.step_key}: {_first_line(e.event_specific_data.error)}" for e in context.get_step_failure_events()]
    return "\n".join([
        f"Run failed: {run.job_name}, {_partition_of(run.tags)}",
        f"Run id: {run.run_id}",
        *(["Failed steps:", *steps] if steps else [f"No step failed: {context.failure_event.message}"]),
        f"Logs and retry: {ui.rstrip('/')}/runs/{run.run_id}",
    ])


def post_alert(url: str, message: str, log) -> None:
    """POSTs the message; a webhook that fails is logged, never raised: the run is what failed."""
    try:
        request = urllib.request.Request(
            url, data=json.dumps({"text": message}).encode(), method="POST",
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=WEBHOOK_TIMEOUT_SECONDS) as response:
            response.read()
    except (OSError, ValueError, http.client.HTTPException) as error:
        # Not the URL: a chat webhook's URL is its secret.
        log.warning(f"Could not post the failure alert to {ALERT_WEBHOOK_URL}: {error}")


def _partition_of(tags: dict[str, str]) -> str:
    if "dagster/partition" in tags:
        return f"partition {tags['dagster/partition']}"
    start, end = tags.get("dagster/asset_partition_range_start"), tags.get("dagster/asset_partition_range_end")
    return f"partitions {start}...{end}" if start and end else "not partitioned"


def _first_line(error) -> str:
    """The step's own exception, under the wrappers Dagster puts around it, and its retries."""
    retried = ""
    while error.cause is not None and error.cls_name in _WRAPPERS:
        if error.message.startswith("Exceeded max_retries"):
            retried = f" ({error.message.strip()})"
        error = error.cause
    line = (error.message.strip().splitlines() or [""])[0]
    return line[:MAX_ERROR_CHARS] + ("…" if len(line) > MAX_ERROR_CHARS else "") + retried

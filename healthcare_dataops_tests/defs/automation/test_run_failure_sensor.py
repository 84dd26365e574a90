"""The run-failure sensor on real failed runs, posting to a real HTTP server on loopback."""

import http.server
import json
import threading
from typing import ClassVar

import dagster as dg
import pytest

from healthcare_dataops.defs.automation.run_failure_sensor import ALERT_WEBHOOK_URL, run_failure_sensor
from healthcare_dataops.lib.partitions import delivery_day_partitions


@dg.asset(partitions_def=delivery_day_partitions)
def unreachable_landing_zone():
    raise ConnectionError("landing zone unreachable\nsecond line: not for the alert")


@dg.asset(retry_policy=dg.RetryPolicy(max_retries=2))
def flaky_store():
    raise TimeoutError("tracking server did not answer")


def failure_context(asset=unreachable_landing_zone, **materialize_args) -> dg.RunFailureSensorContext:
    instance = dg.DagsterInstance.ephemeral()
    result = dg.materialize([asset], instance=instance, raise_on_error=False, **materialize_args)
    assert not result.success
    [failure] = instance.all_logs(result.run_id, of_type=dg.DagsterEventType.RUN_FAILURE)
    return dg.build_run_status_sensor_context(
        sensor_name="run_failure_sensor",
        dagster_event=failure.dagster_event,
        dagster_instance=instance,
        dagster_run=instance.get_run_by_id(result.run_id),
    ).for_run_failure()


class Webhook(http.server.BaseHTTPRequestHandler):
    received: ClassVar[list[tuple[str, dict]]] = []
    status = 200

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        Webhook.received.append((self.headers["Content-Type"], json.loads(body)))
        self.send_response(Webhook.status)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def webhook_url(monkeypatch):
    Webhook.received, Webhook.status = [], 200
    server = http.server.HTTPServer(("127.0.0.1", 0), Webhook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_port}/hooks/alerts"
    monkeypatch.setenv(ALERT_WEBHOOK_URL, url)
    yield url
    server.shutdown()
    server.server_close()


def test_the_alert_says_what_failed_and_where(webhook_url):
    context = failure_context(partition_key="2026-01-05")
    run_failure_sensor(context)
    [(content_type, payload)] = Webhook.received
    assert content_type == "application/json"
    run_id = context.dagster_run.run_id
    assert payload["text"].splitlines() == [
        f"Run failed: {context.dagster_run.job_name}, partition 2026-01-05",
        f"Run id: {run_id}",
        "Failed steps:",
        "  - unreachable_landing_zone: ConnectionError: landing zone unreachable",
        f"Logs and retry: http://127.0.0.1:3000/runs/{run_id}",
    ]


def test_a_range_run_names_its_range(webhook_url):
    context = failure_context(tags={
        "dagster/asset_partition_range_start": "2026-01-01",
        "dagster/asset_partition_range_end": "2026-01-14",
    })
    run_failure_sensor(context)
    assert ", partitions 2026-01-01...2026-01-14" in Webhook.received[0][1]["text"].splitlines()[0]


def test_a_step_that_ran_out_of_retries_shows_its_own_error(webhook_url):
    context = failure_context(flaky_store)
    run_failure_sensor(context)
    lines = Webhook.received[0][1]["text"].splitlines()
    assert lines[0].endswith(", not partitioned")
    assert "  - flaky_store: TimeoutError: tracking server did not answer (Exceeded max_retries of 2)" in lines


def test_a_failing_webhook_is_logged_never_raised(webhook_url, monkeypatch, capsys):
    context = failure_context(partition_key="2026-01-05")
    Webhook.status = 500
    run_failure_sensor(context)
    monkeypatch.setenv(ALERT_WEBHOOK_URL, "http://127.0.0.1:9/closed")
    run_failure_sensor(context)
    monkeypatch.setenv(ALERT_WEBHOOK_URL, "not a url")
    run_failure_sensor(context)
    logged = capsys.readouterr().err
    assert logged.count(f"Could not post the failure alert to {ALERT_WEBHOOK_URL}") == 3
    assert "HTTP Error 500" in logged and "/closed" not in logged


def test_without_a_webhook_the_alert_is_logged(monkeypatch, capsys):
    monkeypatch.delenv(ALERT_WEBHOOK_URL, raising=False)
    run_failure_sensor(failure_context(partition_key="2026-01-05"))
    assert "ConnectionError: landing zone unreachable" in capsys.readouterr().err


def test_it_watches_from_the_start():
    assert run_failure_sensor.name == "run_failure_sensor"
    assert run_failure_sensor.default_status == dg.DefaultSensorStatus.RUNNING

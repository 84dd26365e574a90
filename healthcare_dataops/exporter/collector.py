"""Every figure of ``pipeline_status`` as a Prometheus metric, read when Prometheus scrapes.

Labels are table, layer, source (feed), check, asset, job, topic and partition names: never a
pseudonym, a delivery day or anything else that grows without bound or could identify anyone.
A figure that does not exist yet (no champion, a table never written) is left out rather than
reported as zero, except ``healthcare_dataops_champion_present``, which alerts on its absence.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterator

import dagster as dg
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from healthcare_dataops import settings
from healthcare_dataops.pipeline_status import checks, feeds, model, runs
from healthcare_dataops.pipeline_status.catalog import Catalog
from healthcare_dataops.pipeline_status.streams import TopicPositions

PREFIX = "healthcare_dataops_"
TABLE_LABELS = ["layer", "source", "table"]


def _gauge(name: str, documentation: str, labels: list[str] | None = None) -> GaugeMetricFamily:
    return GaugeMetricFamily(PREFIX + name, documentation, labels=labels)


def delivery_day_end(day: str) -> float:
    """The local midnight that closes a delivery day, as Unix time."""
    return settings.end_of_delivery_day(dt.date.fromisoformat(day)).timestamp()


class PipelineCollector(Collector):
    def __init__(self, instance: dg.DagsterInstance, catalog: Catalog, mlflow_client_factory: Callable,
                 clock: Callable[[], float] = time.time,
                 streams: Callable[[], list[TopicPositions]] | None = None):
        """``streams``: the real-time feeds' positions (``pipeline_status.streams``), where the
        exporter is to ask the broker; None leaves those metrics out."""
        self._instance, self._catalog = instance, catalog
        self._mlflow = mlflow_client_factory
        self._clock = clock
        self._streams = streams

    def collect(self) -> Iterator:
        now = self._clock()
        yield from self._tables(now)
        yield from self._checks()
        yield from self._model()
        yield from self._runs()
        if self._streams is not None:
            yield from self._stream_positions(self._streams())

    def _tables(self, now: float) -> Iterator:
        written = _gauge("table_rows_written", "Rows the newest delivery day wrote into the table.", TABLE_LABELS)
        quarantined = _gauge("table_rows_quarantined", "Rows of the newest delivery day quarantined.", TABLE_LABELS)
        rate = _gauge("table_quarantine_ratio", "Quarantined / (written + quarantined), newest delivery day.",
                      TABLE_LABELS)
        usual = _gauge("table_quarantine_ratio_usual_upper",
                       "Top of the quarantine ratio's usual band (mean + 3 sd of the earlier delivery days).",
                       TABLE_LABELS)
        day = _gauge("table_newest_delivery_day_end_timestamp_seconds",
                     "End (local midnight) of the newest delivery day the table holds.", TABLE_LABELS)
        lag = _gauge("table_last_materialization_age_seconds", "Seconds since the table was last written.",
                     TABLE_LABELS)
        feed_age = _gauge("feed_newest_delivery_day_age_seconds",
                          "Seconds since the end of the newest delivery day in the feed's bronze tables.", ["source"])
        statuses = feeds.table_statuses(self._instance, self._catalog)
        for status in statuses:
            labels = [status.table.layer, status.table.source, status.table.name]
            if status.last_materialized_at is not None:
                lag.add_metric(labels, status.freshness_lag_seconds(now))
            newest = status.newest_day
            if newest is None:
                continue
            written.add_metric(labels, newest.rows_written)
            quarantined.add_metric(labels, newest.rows_quarantined)
            rate.add_metric(labels, newest.quarantine_rate)
            day.add_metric(labels, delivery_day_end(newest.day))
            if status.usual_quarantine_rate_upper is not None:
                usual.add_metric(labels, status.usual_quarantine_rate_upper)
        for feed in feeds.feed_statuses(statuses):
            bronze_days = [s.newest_day.day for s in statuses
                           if s.table.source == feed.source and s.table.layer == "bronze" and s.newest_day]
            if bronze_days:
                feed_age.add_metric([feed.source], max(now - delivery_day_end(max(bronze_days)), 0.0))
        yield from (written, quarantined, rate, usual, day, lag, feed_age)

    def _checks(self) -> Iterator:
        failed = _gauge("check_failed", "1 where the check's latest execution failed, else 0.",
                        ["asset", "check", "blocking"])
        for status in checks.check_statuses(self._instance, self._catalog):
            if status.passed is not None:
                failed.add_metric([status.asset, status.name, str(status.blocking).lower()], 0 if status.passed else 1)
        yield failed

    def _model(self) -> Iterator:
        champion = model.champion_status(self._mlflow())
        drift = model.drift_status(self._instance)
        scores = model.scores_status(self._instance)
        yield _single("champion_present", "1 while a model version holds the alias champion.",
                      1 if champion.version else 0)
        for name, value, documentation in (
            ("champion_version", champion.version and int(champion.version),
             "The champion's registered model version."),
            ("champion_holdout_auroc", champion.holdout_auroc, "The champion's AUROC on its holdout."),
            ("champion_holdout_auroc_ci_low", champion.holdout_auroc_ci_low,
             "Low end of the 95% bootstrap interval of the champion's holdout AUROC."),
            ("champion_holdout_auroc_ci_high", champion.holdout_auroc_ci_high,
             "High end of the 95% bootstrap interval of the champion's holdout AUROC."),
            ("champion_holdout_calibration_error", champion.holdout_calibration_error,
             "The champion's calibration error (ECE, 10 equal-count bins) on its holdout."),
            ("drift_retrain_recommended", drift.retrain_recommended,
             "1 where the newest drift report asks for a retraining (feature or performance drift)."),
            ("dataset_drift", drift.dataset_drift,
             "1 where the newest drift report's drift score reached its threshold (feature drift)."),
            ("performance_drift", drift.performance_drift,
             "1 where the champion's live AUROC fell wholly below its holdout interval, newest report."),
            ("drift_score", drift.drift_score,
             "Newest drift report's score: each moved feature's importance to the champion times how far "
             "beyond chance it moved."),
            ("drift_threshold", drift.drift_threshold, "The drift score at which feature drift is declared."),
            ("live_auroc", drift.live_auroc, "The champion's AUROC on scored admissions whose label arrived."),
            ("scored_stays", scores.stays, "Open stays scored for the newest scored delivery day."),
        ):
            # Every family is exposed (its HELP and TYPE); a figure that does not exist has no sample.
            yield _single(name, documentation, None if value is None else float(value))

    def _runs(self) -> Iterator:
        total = CounterMetricFamily(PREFIX + "runs", "Finished runs by job and outcome.", labels=["job", "status"])
        duration = _gauge("run_last_duration_seconds", "Wall time of the job's newest finished run.", ["job"])
        for job in runs.job_runs(self._instance, self._catalog.jobs):
            total.add_metric([job.job, "success"], job.succeeded)
            total.add_metric([job.job, "failure"], job.failed)
            if job.last_duration_seconds is not None:
                duration.add_metric([job.job], job.last_duration_seconds)
        yield from (total, duration)


    def _stream_positions(self, topics: list[TopicPositions]) -> Iterator:
        reachable = _gauge("stream_broker_reachable", "1 where the broker listed the topic's partitions.", ["topic"])
        labels = ["topic", "partition"]
        next_offset = _gauge("stream_next_offset", "First offset of the partition bronze does not hold yet.", labels)
        end_offset = _gauge("stream_end_offset", "The broker's end offset (high watermark) of the partition.", labels)
        lag = _gauge("stream_consumer_lag_messages", "Records on the broker that bronze does not hold yet.", labels)
        for topic in topics:
            reachable.add_metric([topic.topic], 1 if topic.reachable else 0)
            for position in topic.partitions:
                names = [position.topic, str(position.partition)]
                if position.next_offset is not None:
                    next_offset.add_metric(names, position.next_offset)
                end_offset.add_metric(names, position.end_offset)
                lag.add_metric(names, position.lag)
        yield from (reachable, next_offset, end_offset, lag)


def _single(name: str, documentation: str, value: float | None) -> GaugeMetricFamily:
    family = _gauge(name, documentation, [])
    if value is not None:
        family.add_metric([], value)
    return family

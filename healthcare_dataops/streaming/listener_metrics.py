"""The MLLP listener's acknowledgements as a Prometheus counter, served by the listener itself
(``healthcare-dataops mllp-listen --metrics-port``): only that process knows them."""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client.core import CounterMetricFamily
from prometheus_client.registry import Collector

from healthcare_dataops.streaming.acknowledgements import ACCEPT, ERROR, REJECT


class AcknowledgementCollector(Collector):
    def __init__(self, acknowledged) -> None:
        """``acknowledged``: the listener's counts by code (``MllpListener.acknowledged``)."""
        self._acknowledged = acknowledged

    def collect(self) -> Iterator[CounterMetricFamily]:
        family = CounterMetricFamily(
            "healthcare_dataops_mllp_acknowledgements",
            "Lab messages acknowledged over MLLP, by code: AA stored on the topic, AE not stored "
            "(the sender retries), AR rejected.", labels=["code"])
        for code in (ACCEPT, ERROR, REJECT):
            family.add_metric([code], self._acknowledged.get(code, 0))
        yield family

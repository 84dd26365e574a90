"""The Kafka-protocol broker the real-time feeds arrive on."""

from __future__ import annotations

import dagster as dg

from healthcare_dataops.streaming import clients


class KafkaResource(dg.ConfigurableResource):
    """A Kafka cluster (Apache Kafka, MSK, Confluent, or any broker that speaks its protocol).

    Only the bootstrap servers are configuration here; security settings (SASL, TLS) reach
    the client from ``HEALTHCARE_DATAOPS_KAFKA_*`` variables, so secrets never appear in the
    UI's resource config.
    """

    bootstrap_servers: str
    # How long a poll waits for the broker before the read is judged stuck, in seconds.
    poll_timeout_seconds: float = 30.0

    def consumer_config(self, group_id: str) -> dict[str, object]:
        return clients.consumer_config(self.bootstrap_servers, group_id)

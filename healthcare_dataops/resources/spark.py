"""The Spark engine the silver and gold transforms run on."""

from __future__ import annotations

import dagster as dg
from pyspark.sql import SparkSession

from healthcare_dataops.lakehouse import spark_engine


class SparkResource(dg.ConfigurableResource):
    """A Spark Connect session, opened on first use and shared by every step in the process.

    ``remote`` is ``sail`` (the embedded engine, started in this process on first use), a
    Spark Connect URL such as ``sc://spark-connect:15002``, or ``local[N]`` for pyspark's own
    JVM engine. Not dagster-pyspark's resource: it builds a classic session, and making it
    lazy over Spark Connect meant overriding its private ``_init_session``.
    """

    remote: str = spark_engine.EMBEDDED_SAIL
    spark_config: dict[str, str] = {}  # noqa: RUF012 - a config field: pydantic copies the default per instance

    @property
    def spark_session(self) -> SparkSession:
        # spark_engine keeps one session per engine and process: steps reuse it.
        return spark_engine.connect(self.remote, self.spark_config)

    @property
    def startup_seconds(self) -> float | None:
        return spark_engine.startup_seconds(self.remote)

    @property
    def parallelism(self) -> int:
        return spark_engine.parallelism(self.remote)

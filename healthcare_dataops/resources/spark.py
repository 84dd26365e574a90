"""The Spark engine the silver and gold transforms run on."""

from __future__ import annotations

from dagster_pyspark import LazyPySparkResource

from healthcare_dataops.lakehouse import spark_engine


class SparkResource(LazyPySparkResource):
    """dagster-pyspark's lazy session over Spark Connect.

    ``remote`` is ``sail`` (the embedded engine, started in this process on first use), a
    Spark Connect URL such as ``sc://spark-connect:15002``, or ``local[N]`` for pyspark's own
    JVM engine. The session is shared by every step that runs in the process.
    """

    remote: str = spark_engine.EMBEDDED_SAIL
    spark_config: dict[str, str] = {}  # noqa: RUF012 - a config field: pydantic copies the default per instance

    def _init_session(self) -> None:
        if self._spark_session is None:
            self._spark_session = spark_engine.connect(self.remote, self.spark_config)

    @property
    def startup_seconds(self) -> float | None:
        return spark_engine.startup_seconds(self.remote)

    @property
    def parallelism(self) -> int:
        return spark_engine.parallelism(self.remote)

# The code location image: the project served over gRPC to a Dagster webserver and daemon.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    DO_NOT_TRACK=true \
    MLFLOW_DISABLE_TELEMETRY=true \
    DAGSTER_HOME=/opt/dagster/home \
    CODE_SERVER_PORT=4000

# Spark's JVM engine needs a Java runtime; procps gives the health check and Spark `ps`.
RUN apt-get update \
    && apt-get install -y --no-install-recommends openjdk-17-jre-headless procps \
    && rm -rf /var/lib/apt/lists/*

RUN useradd --create-home --uid 10001 dataops
WORKDIR /opt/healthcare-dataops

COPY pyproject.toml README.md ./
COPY healthcare_dataops ./healthcare_dataops
RUN pip install --no-cache-dir .

COPY dagster.yaml workspace.yaml ./
COPY data/reference ./data/reference
RUN mkdir -p "$DAGSTER_HOME" \
    && cp dagster.yaml "$DAGSTER_HOME/dagster.yaml" \
    && chown -R dataops "$DAGSTER_HOME" /opt/healthcare-dataops

# The code version every model version's lineage records: the image has no .git to ask.
#   docker build --build-arg CODE_VERSION=$(git rev-parse HEAD) .
ARG CODE_VERSION=unknown
ENV HEALTHCARE_DATAOPS_CODE_VERSION=$CODE_VERSION

USER dataops
EXPOSE 4000
HEALTHCHECK --interval=30s --timeout=10s --start-period=60s \
    CMD dagster api grpc-health-check -p "$CODE_SERVER_PORT" || exit 1
CMD ["sh", "-c", "exec dagster code-server start -h 0.0.0.0 -p \"$CODE_SERVER_PORT\" -m healthcare_dataops.definitions"]

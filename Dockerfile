# The code location image: the project served over gRPC to a Dagster webserver and daemon,
# which launch its runs in this container too (deploy/dagster.yaml: DefaultRunLauncher).
#   docker build --build-arg CODE_VERSION=$(git rev-parse HEAD) -t healthcare-dataops .
FROM python:3.11-slim-bookworm

# DAGSTER_CODE_SERVER_HOST (the bind address) and _PORT are read by `dagster code-server
# start` itself; `docker run -e DAGSTER_CODE_SERVER_PORT=...` moves it. The production profile
# refuses the laptop defaults (the public pseudonym key above all): see deploy/production.env.
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    DO_NOT_TRACK=true \
    DAGSTER_EMIT_PARTITION_SUBSET_IN_PLANNED_EVENTS=true \
    MLFLOW_DISABLE_TELEMETRY=true \
    DAGSTER_HOME=/opt/dagster/home \
    HEALTHCARE_DATAOPS_ENVIRONMENT=production \
    DAGSTER_CODE_SERVER_HOST=0.0.0.0 \
    DAGSTER_CODE_SERVER_PORT=4000

# Spark's JVM engine needs a Java runtime; Spark's launch scripts call `ps` (procps).
RUN apt-get update \
    && apt-get install -y --no-install-recommends openjdk-17-jre-headless procps \
    && rm -rf /var/lib/apt/lists/*

RUN useradd --create-home --uid 10001 --user-group dataops
WORKDIR /opt/healthcare-dataops

# The versions CI tested: the same constraints file as scripts/setup.sh, without the dev extra.
COPY constraints.txt pyproject.toml README.md ./
COPY healthcare_dataops ./healthcare_dataops
# Only the runtime: the benchmark is a development tool (its extra is not installed either).
RUN rm -rf healthcare_dataops/benchmark \
    && pip install --no-cache-dir -c constraints.txt .

# The working directory is the project root at run time: reference data under it, and the
# default data folder, which the non-root user must be able to write.
COPY data/reference ./data/reference
COPY deploy/dagster.yaml $DAGSTER_HOME/dagster.yaml
RUN chown 10001:10001 data "$DAGSTER_HOME"

# The code version every model version's lineage records: the image has no .git to ask.
ARG CODE_VERSION=unknown
ENV HEALTHCARE_DATAOPS_CODE_VERSION=$CODE_VERSION

USER 10001:10001
EXPOSE 4000
# A shell, so that the check asks the port the container runs with. It passes once the gRPC
# server answers, which it does after the definitions loaded or failed to load: a load error
# is reported to the UI by the server, not by this check. `|| exit 1`: Docker reserves 2.
# Runs execute in this container, and the CLI takes seconds to start on a CPU they keep busy:
# the timeout is long enough that a working server is not marked unhealthy (and restarted).
HEALTHCHECK --interval=30s --timeout=30s --start-period=60s --retries=3 \
    CMD ["sh", "-c", "dagster api grpc-health-check -p \"$DAGSTER_CODE_SERVER_PORT\" || exit 1"]
# CMD, not ENTRYPOINT: other commands run in this image by replacing it (`dagster instance
# migrate`, the run workers of a Docker or Kubernetes run launcher). The settings check first:
# a server that loaded with a missing setting would stay up, healthy, reporting an error only
# in the UI; this way the container exits with the variable's name in its log.
CMD ["sh", "-c", "healthcare-dataops check-config && exec dagster code-server start -m healthcare_dataops.definitions"]

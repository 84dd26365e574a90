"""``healthcare-dataops metrics``: the Prometheus endpoint, on 127.0.0.1:9464 by default."""

from __future__ import annotations

import argparse
import os
import threading

from healthcare_dataops import settings


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "metrics", help="serve the pipeline's Prometheus metrics (feeds, checks, model, runs) on /metrics")
    parser.add_argument("--host", default=None, help=f"address (default: ${settings.METRICS_HOST} or 127.0.0.1)")
    parser.add_argument("--port", type=int, default=None,
                        help=f"port (default: ${settings.METRICS_PORT} or {settings.DEFAULT_METRICS_PORT})")
    parser.add_argument("--streams", action="store_true",
                        help="also ask the Kafka broker (HEALTHCARE_DATAOPS_KAFKA_*) for the real-time feeds' "
                        "end offsets: consumer lag per topic partition")
    parser.set_defaults(handler=_serve)


def registry(with_streams: bool = False):
    """A registry of the pipeline's metrics only (not this process's own), on this instance."""
    import dagster as dg
    from prometheus_client import CollectorRegistry

    from healthcare_dataops.exporter.collector import PipelineCollector
    from healthcare_dataops.lakehouse import storage
    from healthcare_dataops.pipeline_status.catalog import project_catalog
    from healthcare_dataops.pipeline_status.model import mlflow_client
    from healthcare_dataops.pipeline_status.streams import stream_positions

    root = settings.lakehouse_root()
    streams = (lambda: stream_positions(root, storage.storage_options(root), settings.kafka_bootstrap_servers())
               ) if with_streams else None
    collectors = CollectorRegistry()
    collectors.register(PipelineCollector(dg.DagsterInstance.get(), project_catalog(), mlflow_client,
                                          streams=streams))
    return collectors


def _serve(args: argparse.Namespace) -> int:
    from prometheus_client import start_http_server

    host = args.host or os.environ.get(settings.METRICS_HOST) or "127.0.0.1"
    port = args.port if args.port is not None else settings.read_setting(
        settings.METRICS_PORT, settings.DEFAULT_METRICS_PORT, settings.parse_port)
    collectors = registry(args.streams)
    # One collection before serving: a store that cannot be read fails the command here, with
    # its error, and the first scrape does not pay for MLflow's import.
    list(collectors.collect())
    server, _ = start_http_server(port, addr=host, registry=collectors)
    print(f"metrics on http://{host}:{server.server_port}/metrics", flush=True)
    threading.Event().wait()  # until the process is stopped
    return 0

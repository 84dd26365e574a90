"""``healthcare-dataops mllp-listen``: the MLLP listener as a long-running service."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal

from healthcare_dataops import settings
from healthcare_dataops.streaming.clients import producer_config
from healthcare_dataops.streaming.topics import LABS_TOPIC

# How long a message may wait for the broker's confirmation before the sender is told AE:
# well inside the few tens of seconds interface engines wait for an acknowledgement.
DEFAULT_DELIVERY_TIMEOUT_SECONDS = 5.0


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "mllp-listen",
        help="receive HL7 v2 lab messages over MLLP and acknowledge each once it is on the labs topic",
    )
    parser.add_argument("--host", default=None,
                        help=f"address to listen on (default: ${settings.MLLP_HOST} or {settings.DEFAULT_MLLP_HOST})")
    parser.add_argument("--port", type=int, default=None,
                        help=f"port (default: ${settings.MLLP_PORT} or {settings.DEFAULT_MLLP_PORT}; 0: any free port)")
    parser.add_argument("--bootstrap-servers", default=None,
                        help=f"Kafka bootstrap servers (default: ${settings.KAFKA_BOOTSTRAP_SERVERS} or "
                        f"{settings.DEFAULT_KAFKA_BOOTSTRAP_SERVERS})")
    parser.add_argument("--delivery-timeout-seconds", type=float, default=DEFAULT_DELIVERY_TIMEOUT_SECONDS,
                        help="longest wait for the broker's confirmation before answering AE")
    parser.add_argument("--metrics-port", type=int, default=None,
                        help="serve the acknowledgement counts to Prometheus on this port of 127.0.0.1 "
                        f"(default: ${settings.MLLP_METRICS_PORT}, else none; 0: any free port)")
    parser.set_defaults(handler=_listen)


def _listen(args: argparse.Namespace) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    host, port = settings.mllp_address()
    host = args.host or host
    port = port if args.port is None else args.port
    bootstrap = args.bootstrap_servers or settings.kafka_bootstrap_servers()
    metrics_port = args.metrics_port if args.metrics_port is not None else settings.mllp_metrics_port()
    asyncio.run(serve(host, port, bootstrap, args.delivery_timeout_seconds, metrics_port))
    return 0


async def serve(host: str, port: int, bootstrap_servers: str, delivery_timeout_seconds: float,
                metrics_port: int | None = None) -> None:
    """Listen until SIGTERM or SIGINT, then stop taking connections and wait for the broker's
    last confirmations."""
    # Here, not at the top: every other command of the CLI would import the Kafka client.
    from healthcare_dataops.streaming.durable_producer import DurableProducer
    from healthcare_dataops.streaming.mllp_listener import MllpListener

    producer = DurableProducer(producer_config(bootstrap_servers,
                                               delivery_timeout_ms=int(delivery_timeout_seconds * 1000)))
    listener = MllpListener(producer.send)
    server = await listener.start(host, port)
    bound_host, bound_port = server.sockets[0].getsockname()[:2]
    if metrics_port is not None:
        print(f"metrics on http://127.0.0.1:{_serve_metrics(listener, metrics_port)}/metrics", flush=True)
    print(f"listening for HL7 v2 over MLLP on {bound_host}:{bound_port}; messages go to topic "
          f"{LABS_TOPIC} on {bootstrap_servers}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    await stop.wait()
    server.close()
    await server.wait_closed()
    unconfirmed = producer.close()
    counts = ", ".join(f"{code} {n}" for code, n in sorted(listener.acknowledged.items())) or "no message"
    print(f"stopped: {counts} acknowledged; {unconfirmed} record(s) unconfirmed at exit", flush=True)


def _serve_metrics(listener, port: int) -> int:
    """The acknowledgement counter on 127.0.0.1:``port``, in a thread of its own; its port."""
    from prometheus_client import CollectorRegistry, start_http_server

    from healthcare_dataops.streaming.listener_metrics import AcknowledgementCollector

    registry = CollectorRegistry()
    registry.register(AcknowledgementCollector(listener.acknowledged))
    server, _ = start_http_server(port, addr="127.0.0.1", registry=registry)
    return server.server_port

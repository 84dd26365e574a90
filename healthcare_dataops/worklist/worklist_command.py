"""``healthcare-dataops worklist``: the worklist served by gunicorn on 127.0.0.1 (by default)."""

from __future__ import annotations

import argparse
import os

from healthcare_dataops import settings
from healthcare_dataops.lakehouse import storage
from healthcare_dataops.privacy import keys

AUDIT_TABLE = "reidentification_lookups"


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "worklist", help="serve the clinician worklist: current inpatients by readmission risk, with reasons")
    parser.add_argument("--host", default=None, help=f"address (default: ${settings.WORKLIST_HOST} or "
                        f"{settings.DEFAULT_WORKLIST_HOST}; keep it behind the login proxy)")
    parser.add_argument("--port", type=int, default=None,
                        help=f"port (default: ${settings.WORKLIST_PORT} or {settings.DEFAULT_WORKLIST_PORT})")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    parser.set_defaults(handler=_serve)


def audit_uri(lakehouse_root: str) -> str:
    """``<lakehouse>/audit/reidentification_lookups``: beside the layers, readable by auditors."""
    return f"{lakehouse_root.rstrip('/')}/audit/{AUDIT_TABLE}"


def build_app():
    """The app from the environment: the lakehouse, the pseudonym key and the re-identification
    settings (``HEALTHCARE_DATAOPS_REIDENTIFICATION`` and its roles and headers)."""
    from healthcare_dataops.worklist.app import WorklistSources, create_app
    from healthcare_dataops.worklist.reidentification import ReidentificationSettings, Reidentifier

    root = settings.lakehouse_root()
    options = storage.storage_options(root)
    reidentifier = Reidentifier(
        ReidentificationSettings.from_environment(),
        bronze_patients_uri=f"{root.rstrip('/')}/bronze/ehr_patients",
        audit_uri=audit_uri(root),
        key=keys.key_bytes(os.environ.get(keys.PSEUDONYM_KEY_ENV) or keys.DEVELOPMENT_KEY),
        storage_options=options,
    )
    return create_app(WorklistSources(f"{root.rstrip('/')}/gold/patient_risk_scores", options, reidentifier))


def _serve(args: argparse.Namespace) -> int:
    from gunicorn.app.base import BaseApplication

    from healthcare_dataops.worklist.reidentification import ReidentificationSettings

    host = args.host or os.environ.get(settings.WORKLIST_HOST) or settings.DEFAULT_WORKLIST_HOST
    port = args.port if args.port is not None else settings.read_setting(
        settings.WORKLIST_PORT, settings.DEFAULT_WORKLIST_PORT, settings.parse_port)
    # The settings are read here, so a wrong one stops the command with its name; the app is
    # built in each worker (load below): delta-rs's runtime does not survive a fork.
    ReidentificationSettings.from_environment()
    keys.key_bytes(os.environ.get(keys.PSEUDONYM_KEY_ENV) or keys.DEVELOPMENT_KEY)

    class Worklist(BaseApplication):
        def load_config(self):
            self.cfg.set("bind", f"{host}:{port}")
            self.cfg.set("workers", args.workers)
            self.cfg.set("threads", 4)
            # A page holds no long request: on SIGTERM, workers get a few seconds, not 30.
            self.cfg.set("graceful_timeout", 3)
            self.cfg.set("accesslog", "-")
            # The access log shows paths only: Dash posts callbacks to one path, no query holds a value.
            self.cfg.set("access_log_format", '%(h)s "%(r)s" %(s)s %(b)s %(L)ss')

        def load(self):
            return build_app().server

    print(f"worklist on http://{host}:{port}", flush=True)
    Worklist().run()
    return 0

"""The ``healthcare-dataops`` command."""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import os
import sys
from pathlib import Path

from healthcare_dataops import settings
from healthcare_dataops.exporter import exporter_command
from healthcare_dataops.generate import generate_command
from healthcare_dataops.lakehouse.summary import describe_lakehouse
from healthcare_dataops.streaming import listen_command
from healthcare_dataops.worklist import worklist_command


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="healthcare-dataops", description="Healthcare DataOps lakehouse tools.")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    generate_command.add_parser(subparsers)
    listen_command.add_parser(subparsers)
    worklist_command.add_parser(subparsers)
    exporter_command.add_parser(subparsers)
    # The production image leaves the benchmark out (Dockerfile): it is a development tool
    # whose own dependencies (the bench extra) are not installed there.
    if importlib.util.find_spec("healthcare_dataops.benchmark") is not None:
        importlib.import_module("healthcare_dataops.benchmark.benchmark_command").add_parser(subparsers)
    summary = subparsers.add_parser(
        "summary", help="list the lakehouse's tables with their rows and Delta versions"
    )
    summary.add_argument(
        "--lakehouse",
        default=None,
        help=f"lakehouse root (default: ${settings.LAKEHOUSE_ROOT} or data/lakehouse)",
    )
    summary.set_defaults(handler=_summary)
    models = subparsers.add_parser(
        "models", help="list the readmission model's registered versions, aliases and holdout metrics"
    )
    models.add_argument(
        "--tracking-uri",
        default=None,
        help=f"MLflow tracking URI (default: ${settings.MLFLOW_TRACKING_URI} or sqlite under data/mlflow)",
    )
    models.add_argument("--name", default="readmission_risk", help="registered model name")
    models.set_defaults(handler=_models)
    check = subparsers.add_parser(
        "check-config",
        help="check the deployment's environment variables as the code location does at start-up",
    )
    check.add_argument("--env-file", type=Path, default=None,
                       help="check this NAME=value file (as docker run --env-file reads it) over the environment")
    check.set_defaults(handler=_check_config)
    scenario = subparsers.add_parser(
        "drift-scenario",
        help="drift that fires for the right reasons, both ways, on generated feeds: from one baseline champion, "
        "a steady population, a recalibrated analyzer, an older population and shifts in what the model hardly "
        "uses, each through the daily pipeline, the drift report, the sensor and the retraining it requests; "
        "prints the false-alarm and detection rates over the seeds",
    )
    scenario.add_argument("--workdir", type=Path, default=None,
                          help="where its landing zone, lakehouse and MLflow store go (default: a new temp folder)")
    scenario.add_argument("--patients", type=int, default=1000)
    scenario.add_argument("--baseline-days", type=int, default=120)
    scenario.add_argument("--scenario-days", type=int, default=60)
    scenario.add_argument("--report-every-days", type=int, default=30)
    scenario.add_argument("--seeds", default="7,8,9", metavar="N,N,...", help="generator seeds (default: %(default)s)")
    scenario.add_argument("--scenarios", default=None, metavar="NAME,...",
                          help="some of steady, recalibrated-analyzer, older-population, unimportant-features "
                          "(default: all)")
    scenario.set_defaults(handler=_drift_scenario)
    return parser


def _summary(args: argparse.Namespace) -> int:
    print(describe_lakehouse(args.lakehouse or settings.lakehouse_root()))
    return 0


def _models(args: argparse.Namespace) -> int:
    from mlflow import MlflowClient

    from healthcare_dataops.ml.catalog import format_table, version_rows

    uri = args.tracking_uri or os.environ.get(settings.MLFLOW_TRACKING_URI) or settings.default_mlflow_tracking_uri()
    rows = version_rows(MlflowClient(tracking_uri=uri, registry_uri=uri), args.name)
    if not rows:
        print(f"no versions of {args.name!r} registered in {uri}: materialize risk_model first")
        return 1
    print(format_table(rows))
    return 0


def _check_config(args: argparse.Namespace) -> int:
    from healthcare_dataops import deployment

    env = {**os.environ, **(deployment.read_env_file(args.env_file) if args.env_file else {})}
    found = deployment.problems(env)
    if found:
        print(deployment.ConfigurationError(found), file=sys.stderr)
        return 2
    print(f"configuration OK ({deployment.environment(env)}): lakehouse "
          f"{env.get(settings.LAKEHOUSE_ROOT) or settings.default_lakehouse_root()}, landing zone "
          f"{env.get(settings.LANDING_ROOT) or settings.default_landing_root()}")
    return 0


def _drift_scenario(args: argparse.Namespace) -> int:
    import tempfile

    from healthcare_dataops.scenarios import drift_scenarios
    from healthcare_dataops.scenarios.drift_results import DriftScenarioResult, drift_scenario_lines

    names = [n.strip() for n in args.scenarios.split(",")] if args.scenarios else list(drift_scenarios.BY_NAME)
    unknown = [n for n in names if n not in drift_scenarios.BY_NAME]
    if unknown:
        raise ValueError(f"unknown scenario {', '.join(unknown)}; "
                         f"expected some of {', '.join(drift_scenarios.BY_NAME)}")
    seeds = [int(seed) for seed in args.seeds.split(",")]
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="healthcare-dataops-drift-"))
    print(f"drift scenarios in {workdir}")
    sizes = drift_scenarios.Sizes(patients=args.patients, baseline_days=args.baseline_days,
                                  scenario_days=args.scenario_days, report_every_days=args.report_every_days)
    found = drift_scenarios.run(workdir, sizes, [drift_scenarios.BY_NAME[n] for n in names], seeds)
    print("\n".join(drift_scenario_lines(DriftScenarioResult(found, found.seconds, workdir))))
    return 0 if all(o.as_expected for o in found.outcomes) else 1


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.handler(args)
    except ValueError as error:
        parser.exit(2, f"{parser.prog} {args.command}: error: {error}\n")


if __name__ == "__main__":
    sys.exit(main())

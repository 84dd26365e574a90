"""The ``healthcare-dataops`` command."""

from __future__ import annotations

import argparse
import sys

from healthcare_dataops import settings
from healthcare_dataops.generate import cli as generate_cli
from healthcare_dataops.lakehouse.summary import describe_lakehouse


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="healthcare-dataops", description="Healthcare DataOps lakehouse tools.")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    generate_cli.add_parser(subparsers)
    summary = subparsers.add_parser(
        "summary", help="list the lakehouse's tables with their rows and Delta versions"
    )
    summary.add_argument(
        "--lakehouse",
        default=None,
        help=f"lakehouse root (default: ${settings.LAKEHOUSE_ROOT} or data/lakehouse)",
    )
    summary.set_defaults(handler=_summary)
    return parser


def _summary(args: argparse.Namespace) -> int:
    print(describe_lakehouse(args.lakehouse or settings.lakehouse_root()))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.handler(args)
    except ValueError as error:
        parser.exit(2, f"{parser.prog} {args.command}: error: {error}\n")


if __name__ == "__main__":
    sys.exit(main())

"""``healthcare-dataops generate``: write synthetic source feeds into a landing zone."""

from __future__ import annotations

import argparse
import datetime as dt
import json
from pathlib import Path

from healthcare_dataops import settings

from .drift import KINDS as DRIFT_KINDS
from .drift import parse_drift
from .faults import BRONZE, SILVER, parse_faults
from .fhir_faults import FHIR_FAULTS
from .runner import EHR_FORMATS, GENERATED_SOURCES, Options, generate

DEFAULT_EPOCH = dt.date(2026, 1, 1)

DESCRIPTION = """\
Simulate a hospital's high-utilization panel day by day and deliver what its three source
systems would: the EHR's daily Synthea CSV export (or its FHIR R4 export: --ehr-format), HL7
v2.5.1 ORU^R01 lab results from three labs, and Open mHealth wearable data points with device
enrollments. Side files that are NOT part of the feeds go to --side: manifest.json (options,
injected faults, expected bronze counts per file), readmission_truth.csv (true 30-day
readmission probability and label of every inpatient discharge) and readmission_risk_inputs.csv
(the risk function's inputs).

The same options and seed give byte-identical files. The simulation always starts at the
population epoch, so a later run with --start-date after it re-simulates the earlier days
without writing them and writes the same files a single longer run would have written
(faults aside: they are drawn per run)."""


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date YYYY-MM-DD") from None


def _bounded(low: int, high: int):
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{value} is outside {low}..{high}")
        return value
    return parse


def _share(text: str) -> float:
    value = float(text)
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(f"{value} is not a share between 0 and 1")
    return value


def add_parser(subparsers) -> argparse.ArgumentParser:
    fault_help = "; ".join(f"{k}: {v}" for k, v in {**BRONZE, **SILVER, **FHIR_FAULTS}.items()).replace("%", "%%")
    parser = subparsers.add_parser(
        "generate", help="write synthetic EHR, lab and wearable feeds into a landing zone",
        description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter)
    add = parser.add_argument
    add("--landing", type=Path, default=Path(settings.landing_root()), metavar="DIR",
        help=f"landing zone root the feeds are delivered into (default: ${settings.LANDING_ROOT} or %(default)s)")
    add("--side", type=Path, default=Path(settings.data_dir()) / "generator", metavar="DIR",
        help="where the manifest and the readmission truth go; never part of the feeds (default: %(default)s)")
    add("--patients", type=_bounded(50, 100_000), default=200, metavar="N",
        help="patients on the panel at the epoch, 50..100000; about 0.12%% as many register each day "
             "(default: %(default)s)")
    add("--days", type=_bounded(1, 3660), default=7, metavar="N", help="delivery days to write (default: %(default)s)")
    add("--start-date", type=_date, default=None, metavar="YYYY-MM-DD",
        help="first delivery day to write (default: the epoch, 2026-01-01)")
    add("--epoch", type=_date, default=None, metavar="YYYY-MM-DD",
        help="day the simulation and the feeds begin; its export carries each patient's prior history. "
             "Runs that continue each other must share it (default: the epoch recorded in --side by an earlier "
             "run of the same seed and panel, else 2026-01-01, or --start-date if earlier)")
    add("--seed", type=int, default=7, metavar="N", help="seed every random draw derives from (default: %(default)s)")
    add("--drift", action="append", default=[], metavar="KIND[@YYYY-MM-DD]",
        help=f"switch on a drift from a date (default: the first written day); repeatable. Kinds: "
             f"{', '.join(DRIFT_KINDS)} (new patients and admissions much older; one vendor's firmware update "
             f"reports heart rate 8 bpm high; citycore reports glucose in mmol/L; <analyte>-recalibration: citycore's "
             f"analyzer reports that key lab one and a half to two standard deviations high)")
    add("--faults", default="", metavar="KIND,...|all",
        help=f"inject faults into the delivered files and record them in the manifest. Kinds: {fault_help}")
    add("--faults-per-kind", type=_bounded(1, 1000), default=1, metavar="N",
        help="instances of each chosen fault kind (default: %(default)s)")
    add("--heart-rate-every-minutes", type=_bounded(1, 60), default=5, metavar="N",
        help="minutes between heart-rate readings while a device is worn (default: %(default)s)")
    add("--device-share", type=_share, default=0.4, metavar="SHARE",
        help="share of patients enrolled with a wearable device (default: %(default)s)")
    add("--ehr-format", choices=EHR_FORMATS, default="csv",
        help="how the EHR exports: Synthea CSV (ehr/), FHIR R4 Bulk Data NDJSON with a bundle a day and the export's "
             "manifest (fhir/), or both, of the same patients and stays (default: %(default)s)")
    add("--sources", default=",".join(GENERATED_SOURCES), metavar="SOURCE,...",
        help="which feeds to write, some of ehr,labs,wearables; the simulation and the truth are the same "
             "whichever are written (default: all)")
    add("--clean", action="store_true",
        help="first delete the day folders under --landing and the side files under --side")
    add("--quiet", action="store_true", help="print only the summary")
    parser.set_defaults(handler=run)
    return parser


def recorded_epoch(args: argparse.Namespace) -> dt.date | None:
    """The epoch of the population an earlier run wrote to --side, so continuing it needs no --epoch."""
    try:
        population = json.loads((args.side / "manifest.json").read_text(encoding="utf-8"))["population"]
    except (OSError, ValueError, KeyError):
        return None
    if population.get("seed") != args.seed or population.get("patients") != args.patients:
        return None
    return dt.date.fromisoformat(population["epoch"])


def options_from(args: argparse.Namespace) -> Options:
    start = args.start_date or args.epoch or DEFAULT_EPOCH
    recorded = recorded_epoch(args) if args.epoch is None and not args.clean else None
    epoch = args.epoch or (recorded if recorded and recorded <= start else min(DEFAULT_EPOCH, start))
    sources = tuple(s.strip() for s in args.sources.split(",") if s.strip())
    unknown = [s for s in sources if s not in GENERATED_SOURCES]
    if unknown or not sources:
        raise ValueError(f"--sources takes some of {', '.join(GENERATED_SOURCES)}, not {args.sources!r}")
    return Options(
        landing=args.landing, side=args.side, patients=args.patients, days=args.days, start_date=start,
        epoch=epoch, seed=args.seed, drifts=tuple(parse_drift(d, start) for d in args.drift),
        faults=parse_faults(args.faults, fhir=args.ehr_format != "csv") if args.faults else (),
        faults_per_kind=args.faults_per_kind,
        heart_rate_every=args.heart_rate_every_minutes, device_share=args.device_share,
        sources=tuple(s for s in GENERATED_SOURCES if s in sources), clean=args.clean, ehr_format=args.ehr_format,
    )


def run(args: argparse.Namespace) -> int:
    options = options_from(args)
    summary = generate(options, log=(lambda m: None) if args.quiet else print)
    print(f"wrote {summary.files} files for {options.days} day(s) from {options.start_date} "
          f"into {options.landing} in {summary.seconds:.1f} s")
    for table, rows in sorted(summary.rows.items()):
        print(f"  {table:<18} {rows:>10} rows")
    prevalence = summary.readmitted / summary.index_admissions if summary.index_admissions else 0.0
    print(f"  index admissions   {summary.index_admissions:>10} (readmitted within 30 days: {prevalence:.1%})")
    if options.faults:
        print(f"  faults injected    {summary.faults:>10} "
              f"({summary.quarantined} records will be quarantined in bronze)")
    if summary.skipped:
        print(f"  faults skipped: {', '.join(summary.skipped)} (no file in this run could carry them)")
    print(f"  manifest: {summary.manifest}")
    return 0

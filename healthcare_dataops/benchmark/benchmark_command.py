"""``healthcare-dataops benchmark``: run scales, print the markdown, keep it under results/."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import shutil
import tempfile
from pathlib import Path

from healthcare_dataops import settings
from healthcare_dataops.benchmark.scales import SCALES, parse_scales


def add_parser(subparsers) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "benchmark",
        help="generate feeds at named scales, run the whole graph cold through the Dagster CLI, set it beside "
        "a DuckDB baseline from the same landing files, time the two heaviest steps beside DuckDB and JVM "
        "Spark, add one day, and write a markdown table",
    )
    parser.add_argument("--scales", default="small", metavar="NAME,...",
                        help=f"some of {', '.join(f'{s.describe()}' for s in SCALES.values())} (default: %(default)s)")
    parser.add_argument("--results", type=Path, default=settings.project_root() / "benchmarks" / "results",
                        help="folder the markdown and JSON results go to (default: %(default)s)")
    parser.add_argument("--workdir", type=Path, default=None,
                        help="where feeds, lakehouse and instance go, a folder per scale, emptied first "
                        "(default: a new temporary folder)")
    parser.add_argument("--keep", action="store_true", help="keep the work folders (default: deleted)")
    parser.add_argument("--backfill-days", default=None, metavar="N,N,...",
                        help="instead of the runs above: generate the longest length's feeds once and run the whole "
                        "graph cold over the first N days of them for each N (e.g. 30,90), each in a fresh "
                        "lakehouse, and compare their wall time and peak memory")
    parser.add_argument("--engine-workers", default=None, metavar="N,N,...",
                        help="instead of the runs above: generate a few days of feeds once and materialize the "
                        "silver wearable readings and their upstream cold on the embedded engine in Sail's local "
                        "cluster mode with N workers, for each N (e.g. 1,2), and compare the engine steps' times")
    parser.add_argument("--engine-days", type=int, default=3, metavar="DAYS",
                        help="days of feeds for --engine-workers (default: %(default)s)")
    parser.add_argument("--drift-scenario", action="store_true",
                        help="instead of the runs above: run the four drift scenarios at their full size (1,000 "
                        "patients, 120 baseline days, 60 days each, seeds 7, 8 and 9), time each, and give the "
                        "false-alarm and detection rates")
    parser.add_argument("--realtime", action="store_true",
                        help="instead of the runs above: lab results over MLLP through the broker, the listener and "
                        "dagster-daemon's micro-batches into silver; acknowledgement latency, messages/s, AA to silver")
    parser.add_argument("--rt-messages", type=int, default=3_000,
                        help="messages --realtime sends (default: %(default)s)")
    parser.add_argument("--rt-rate", type=float, default=100.0,
                        help="messages per second --realtime sends, over all connections (default: %(default)s)")
    parser.add_argument("--rt-connections", type=int, default=4,
                        help="MLLP connections --realtime sends on, each waiting for its ACK (default: %(default)s)")
    parser.add_argument("--fhir-path", action="store_true",
                        help="instead of the runs above: per scale, generate the EHR's export as CSV and as FHIR R4 "
                        "and run the EHR path (its bronze and the five EHR silver steps, with checks) cold on each, "
                        "step by step")
    parser.add_argument("--render", type=Path, default=None, metavar="RESULTS.json",
                        help="run nothing: print the markdown of a results file written earlier, and rewrite "
                        "the .md beside it")
    parser.set_defaults(handler=run)
    return parser


def run(args: argparse.Namespace) -> int:
    # Here, not above: DuckDB and psutil come with the "bench" extra, which the image and the
    # quickstart's install leave out.
    try:
        import duckdb  # noqa: F401
        import psutil  # noqa: F401
    except ModuleNotFoundError as missing:
        raise SystemExit(f"healthcare-dataops benchmark needs the bench extra ({missing.name} is not "
                         "installed): bash scripts/setup.sh --tests") from None
    from healthcare_dataops.benchmark.backfill_run import parse_backfill_days, run_backfills
    from healthcare_dataops.benchmark.drift_scenario import run_drift_scenario
    from healthcare_dataops.benchmark.engine_workers import parse_worker_counts, run_worker_counts
    from healthcare_dataops.benchmark.fhir_path import run_fhir_path
    from healthcare_dataops.benchmark.machine import describe_machine
    from healthcare_dataops.benchmark.scale_run import run_scale

    if args.render:
        return _render_again(args.render)
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="healthcare-dataops-benchmark-"))
    machine = describe_machine()
    if args.realtime:
        return _realtime(args, workdir, machine)
    if args.drift_scenario:
        stem = args.results / f"{dt.date.today().isoformat()}-drift-scenario"
        # Written after each seed: an hour's work per seed is not lost to a later one's failure.
        scenario = run_drift_scenario(workdir / "drift-scenario",
                                      on_seed=lambda done: _write(stem, machine, [], scenarios=[done]))
        _write(stem, machine, [], scenarios=[scenario])
        if not args.keep:
            shutil.rmtree(workdir if args.workdir is None else scenario.workdir, ignore_errors=True)
        return 0 if all(o.as_expected for o in scenario.run.outcomes) else 1
    scales = parse_scales(args.scales)
    lengths = parse_backfill_days(args.backfill_days) if args.backfill_days else None
    worker_counts = parse_worker_counts(args.engine_workers) if args.engine_workers else None
    names = "-".join(s.name for s in scales)
    if lengths:
        names += "-backfill-" + "-".join(map(str, lengths))
    if worker_counts:
        names += "-workers-" + "-".join(map(str, worker_counts))
    if args.fhir_path:
        names += "-fhir-path"
    stem = args.results / f"{dt.date.today().isoformat()}-{names}"
    results, backfills, workers, fhir_paths = [], [], [], []
    for scale in scales:
        if args.fhir_path:
            fhir_paths.append(run_fhir_path(scale, workdir / f"{scale.name}-fhir-path"))
        elif lengths:
            backfills.append(run_backfills(scale, lengths, workdir / f"{scale.name}-backfill"))
        elif worker_counts:
            workers.append(run_worker_counts(scale, worker_counts, workdir / f"{scale.name}-workers",
                                             days=args.engine_days))
        else:
            results.append(run_scale(scale, workdir / scale.name))
        # After every scale: a later one that takes the machine down loses nothing before it.
        _write(stem, machine, results, backfills, workers, fhir_paths=fhir_paths)
    if not args.keep:
        kept = [*results, *backfills, *workers, *fhir_paths]
        for folder in [workdir] if args.workdir is None else [r.workdir for r in kept]:
            shutil.rmtree(folder, ignore_errors=True)
    return 0


def _realtime(args: argparse.Namespace, workdir: Path, machine: dict) -> int:
    from healthcare_dataops.benchmark.realtime_run import RealtimeSizes, run_realtime

    sizes = RealtimeSizes(messages=args.rt_messages, rate_per_second=args.rt_rate, connections=args.rt_connections)
    result = run_realtime(workdir / "realtime", sizes)
    stem = args.results / f"{dt.date.today().isoformat()}-realtime"
    stem.parent.mkdir(parents=True, exist_ok=True)
    machine_line = f"{machine['cores']} cores, {machine['memory_gib']} GiB, {machine['cpu']}; {machine['date']}"
    markdown = "\n".join([*result.lines(), "", f"Machine: {machine_line}. One run: timings on a shared machine "
                          "vary from run to run.", ""])
    stem.with_suffix(".md").write_text(markdown, encoding="utf-8")
    stem.with_suffix(".json").write_text(json.dumps({"machine": machine, "realtime": result.to_json()}, indent=2,
                                                    default=str), encoding="utf-8")
    print(markdown)
    print(f"results: {stem.with_suffix('.md')}")
    if not args.keep:
        shutil.rmtree(workdir if args.workdir is None else workdir / "realtime", ignore_errors=True)
    return 0 if result.in_silver == result.codes.get("AA", 0) == result.sizes.messages else 1


def _write(stem: Path, machine: dict, results: list, backfills: list = (), workers: list = (),
           scenarios: list = (), fhir_paths: list = ()) -> None:
    from healthcare_dataops.benchmark.report import render

    markdown, targets = render(results, machine, backfills, workers, scenarios, fhir_paths)
    stem.parent.mkdir(parents=True, exist_ok=True)
    stem.with_suffix(".md").write_text(markdown, encoding="utf-8")
    stem.with_suffix(".json").write_text(json.dumps(
        {"machine": machine, "scales": [r.to_json() for r in results],
         "backfills": [b.to_json() for b in backfills], "engine_workers": [w.to_json() for w in workers],
         "drift_scenarios": [s.to_json() for s in scenarios], "fhir_paths": [f.to_json() for f in fhir_paths],
         "targets": [{**t.__dict__, "met": t.met} for t in targets]}, indent=2, default=str), encoding="utf-8")
    print(markdown)
    print(f"results: {stem.with_suffix('.md')}")


def _render_again(path: Path) -> int:
    from healthcare_dataops.benchmark.backfill_run import BackfillResult
    from healthcare_dataops.benchmark.engine_workers import WorkersResult
    from healthcare_dataops.benchmark.fhir_path import FhirPathResult
    from healthcare_dataops.benchmark.scale_run import ScaleResult
    from healthcare_dataops.scenarios.drift_results import DriftScenarioResult

    saved = json.loads(path.read_text(encoding="utf-8"))
    _write(path.with_suffix(""), saved["machine"], [ScaleResult.from_json(s) for s in saved["scales"]],
           [BackfillResult.from_json(b) for b in saved.get("backfills", [])],
           [WorkersResult.from_json(w) for w in saved.get("engine_workers", [])],
           [DriftScenarioResult.from_json(d) for d in saved.get("drift_scenarios", [])],
           [FhirPathResult.from_json(f) for f in saved.get("fhir_paths", [])])
    return 0

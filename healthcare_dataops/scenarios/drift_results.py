"""What the drift scenarios found, as a result that round-trips through JSON and as the
markdown table with the false-alarm and detection rates: printed by
``healthcare-dataops drift-scenario`` and kept by the benchmark's ``--drift-scenario`` entry."""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from healthcare_dataops.model_health.serving_skew import SkewAtDay, describe
from healthcare_dataops.scenarios.drift_scenarios import ReportOutcome, ScenarioOutcome, ScenarioRun, Sizes


@dataclass
class DriftScenarioResult:
    run: ScenarioRun
    seconds: float
    workdir: Path | None = None

    def to_json(self) -> dict:
        sizes = {**dataclasses.asdict(self.run.sizes), "start": self.run.sizes.start.isoformat()}
        return {"sizes": sizes, "seeds": self.run.seeds, "baseline_seconds": self.run.baseline_seconds,
                "outcomes": [dataclasses.asdict(o) for o in self.run.outcomes], "seconds": self.seconds,
                "serving_skew": self.run.serving_skew}

    @classmethod
    def from_json(cls, saved: dict) -> DriftScenarioResult:
        config = tuple(tuple(pair) for pair in saved["sizes"].get("model_config", ()))
        start = dt.date.fromisoformat(saved["sizes"]["start"])
        sizes = Sizes(**{**saved["sizes"], "start": start, "model_config": config})
        outcomes = []
        for found in saved["outcomes"]:
            reports = [ReportOutcome(**r) for r in found["reports"]]
            tuples = {k: [tuple(x) for x in found[k]] for k in ("sources_named", "sources_expected")}
            outcomes.append(ScenarioOutcome(**{**found, "reports": reports, **tuples}))
        run = ScenarioRun(sizes, saved["seeds"], outcomes, saved["baseline_seconds"], saved["seconds"],
                          saved.get("serving_skew", []))
        return cls(run, saved["seconds"])



def _rate(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.0%}"


def _retrain(outcome: ScenarioOutcome) -> str:
    found = outcome.retrain
    if not found:
        return "none"
    old, new = found.get("champion_holdout_auroc"), found.get("holdout_auroc")
    shown = lambda v: "n/a" if v is None else f"{v:.3f}"  # noqa: E731
    return f"v{found['model_version']} {found['alias']}; AUROC new {shown(new)} vs old {shown(old)} on the same holdout"


def drift_scenario_lines(result: DriftScenarioResult) -> list[str]:
    run, sizes = result.run, result.run.sizes
    rates = run.rates()
    lines = [
        f"## The drift scenarios: {sizes.patients:,} patients, {sizes.baseline_days} baseline days, then "
        f"{sizes.scenario_days} days per scenario, seeds {', '.join(map(str, run.seeds))}", "",
        f"Each seed's baseline once, then each scenario on a copy of it (`healthcare-dataops drift-scenario`): the "
        f"daily pipeline over {sizes.report_every_days}-day chunks, a drift report and a sensor tick after each, "
        f"open stays scored every {sizes.score_every_days} days; {result.seconds:.0f} s in all.", "",
        "| scenario | seed | drifts (champion's importance) | retrain expected | reports asking retraining "
        "| sources named | retraining | generate s | runs s | as expected |",
        "|---|---:|---|---|---|---|---|---:|---:|---|",
    ]
    for o in run.outcomes:
        asked = f"{sum(r.retrain_recommended for r in o.reports)} of {len(o.reports)}"
        named = "; ".join(f"{source} {measure}" for _, source, measure in o.sources_named) or "none"
        drifts = ", ".join(o.drifts) or "none"
        if o.importance:
            drifts += " (" + ", ".join(f"{name} {value:.3f}" for name, value in o.importance.items()) + ")"
        expected = "yes" if o.retrain_expected else "no"
        lines.append(f"| {o.name} | {o.seed} | {drifts} | {expected} | {asked} | {named} | "
                     f"{_retrain(o)} | {o.generate_seconds:.1f} | {o.run_seconds:.1f} | "
                     f"{'yes' if o.as_expected else '**no**'} |")
    lines += [
        "",
        f"False alarms: {rates['false_alarm_reports']} of {rates['quiet_reports']} reports where nothing that "
        f"matters changed asked a retraining ({_rate(rates['false_alarm_rate'])}). Detection: "
        f"{rates['detected']} of {rates['drift_runs']} drift scenario runs retrained "
        f"({_rate(rates['detection_rate'])}). Scenarios whose changed sources the silver monitors all named: "
        f"{rates['sources_named']} of {rates['source_runs']}; sources they named in the steady runs (false "
        f"warnings): {rates['steady_sources_named']} in {rates['steady_runs']}. As expected: {rates['as_expected']} "
        f"of {rates['runs']}.", "",
    ]
    for seed, skew in zip(run.seeds, run.serving_skew, strict=False):
        found = [SkewAtDay(**s) for s in skew]
        lines += [f"Train/serve skew of seed {seed}'s baseline champion, on its holdout: {describe(found)}.", ""]
    return lines

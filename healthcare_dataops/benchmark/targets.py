"""The published targets (2 cores, 24 GiB), each judged from a scale's results."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

GIB = 2**30


@dataclass(frozen=True)
class Target:
    name: str
    limit: float
    measured: float | None
    unit: str
    scale: str

    @property
    def met(self) -> bool | None:
        return None if self.measured is None else self.measured <= self.limit

    def verdict(self) -> str:
        return {True: "met", False: "**missed**", None: "not measured"}[self.met]


@dataclass(frozen=True)
class TargetRule:
    name: str
    limit: float
    unit: str
    scales: tuple[str, ...]  # where the target applies; empty: every scale
    measure: Callable[[dict], float | None]


def _path_ratio(path: str) -> Callable[[dict], float | None]:
    return lambda figures: figures.get("end_to_end", {}).get(path, {}).get("ratio")


def _memory(figures: dict) -> float:
    return figures["cold_peak_memory_bytes"] / GIB


PUBLISHED = ("small", "medium")
RULES = (
    TargetRule("full graph completes (failed runs)", 0, "", (), lambda f: f["cold_failed"]),
    TargetRule("full graph, cold", 600, "s", ("medium",), lambda f: f["cold_seconds"]),
    TargetRule("full graph, cold", 90, "s", ("small",), lambda f: f["cold_seconds"]),
    TargetRule("peak memory, full graph", 4.0, "GiB", ("medium",), _memory),
    TargetRule("wearable path over the DuckDB end-to-end baseline", 2.0, "×", PUBLISHED, _path_ratio("wearables")),
    TargetRule("one new day over the 30-day backfill", 0.10, "", PUBLISHED, lambda f: f["incremental_ratio"]),
    TargetRule("drift sensor tick", 1.0, "s", (), lambda f: f["sensor_tick_seconds"]),
)
GROWTH_LIMIT = 12.0
# A backfill's memory is bounded by a day's (or a chunk's) work, not by its length.
BACKFILL_DAYS = (30, 90)
BACKFILL_SCALE = "small"
BACKFILL_PEAK_LIMIT = 1.2


def judge(scale: str, figures: dict) -> list[Target]:
    return [Target(rule.name, rule.limit, rule.measure(figures), rule.unit, scale)
            for rule in RULES if not rule.scales or scale in rule.scales]


def judge_growth(small_seconds: float | None, medium_seconds: float | None) -> Target:
    growth = medium_seconds / small_seconds if small_seconds and medium_seconds else None
    return Target("medium over small, full graph (10× the data)", GROWTH_LIMIT, growth, "×", "small → medium")


def judge_backfill(peak_ratio: float | None) -> Target:
    """``peak_ratio``: the 90-day backfill's peak over the 30-day one's at small; None where the
    backfill mode did not run (``--backfill-days``)."""
    short, long = BACKFILL_DAYS
    return Target(f"{long}-day backfill peak over the {short}-day peak", BACKFILL_PEAK_LIMIT, peak_ratio, "×",
                  BACKFILL_SCALE)

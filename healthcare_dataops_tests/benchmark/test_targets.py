"""Which targets a scale is judged on, and the verdicts."""

import pytest

from healthcare_dataops.benchmark.targets import GIB, judge, judge_backfill, judge_growth


def _figures(**overrides):
    figures = {
        "cold_failed": 0,
        "cold_seconds": 80.0,
        "cold_peak_memory_bytes": 3 * GIB,
        "end_to_end": {"wearables": {"ratio": 1.5}, "ehr": {"ratio": 4.0}},
        "incremental_ratio": 0.08,
        "sensor_tick_seconds": 0.02,
    }
    return {**figures, **overrides}


def test_medium_is_judged_on_its_targets_and_meets_them():
    targets = judge("medium", _figures(cold_seconds=540.0))
    assert {t.name for t in targets} == {
        "full graph completes (failed runs)", "full graph, cold", "peak memory, full graph",
        "wearable path over the DuckDB end-to-end baseline", "one new day over the 30-day backfill",
        "drift sensor tick"}
    assert all(t.met for t in targets), [(t.name, t.measured) for t in targets]
    assert {t.limit for t in targets if t.name == "full graph, cold"} == {600}


def test_small_has_its_own_cold_limit_and_no_memory_limit():
    targets = {t.name: t for t in judge("small", _figures())}
    assert set(targets) == {"full graph completes (failed runs)", "full graph, cold",
                            "wearable path over the DuckDB end-to-end baseline",
                            "one new day over the 30-day backfill", "drift sensor tick"}
    assert targets["full graph, cold"].limit == 90
    assert not {t.name: t for t in judge("small", _figures(cold_seconds=95.0))}["full graph, cold"].met


def test_tiny_keeps_only_what_holds_at_any_size():
    assert {t.name for t in judge("tiny", _figures())} == {"full graph completes (failed runs)", "drift sensor tick"}


@pytest.mark.parametrize(
    ("overrides", "missed"),
    [
        ({"cold_failed": 1}, "full graph completes (failed runs)"),
        ({"cold_seconds": 601.0}, "full graph, cold"),
        ({"cold_peak_memory_bytes": 4.5 * GIB}, "peak memory, full graph"),
        ({"end_to_end": {"wearables": {"ratio": 2.1}}}, "wearable path over the DuckDB end-to-end baseline"),
        ({"incremental_ratio": 0.2}, "one new day over the 30-day backfill"),
        ({"sensor_tick_seconds": 1.5}, "drift sensor tick"),
    ],
)
def test_a_figure_over_its_limit_is_missed(overrides, missed):
    verdicts = {t.name: t.verdict() for t in judge("medium", _figures(**{"cold_seconds": 540.0, **overrides}))}
    assert verdicts.pop(missed) == "**missed**"
    assert set(verdicts.values()) == {"met"}


def test_a_figure_not_measured_is_said_so():
    [path] = [t for t in judge("small", _figures(end_to_end={})) if t.name.startswith("wearable path")]
    assert path.met is None and path.verdict() == "not measured"


def test_growth_is_medium_over_small():
    assert judge_growth(60.0, 660.0).met
    growth = judge_growth(60.0, 780.0)
    assert growth.measured == pytest.approx(13.0) and not growth.met


def test_the_backfill_target_is_the_peak_ratio_at_small_and_not_measured_without_the_mode():
    target = judge_backfill(1.1)
    assert (target.name, target.scale, target.limit, target.met) == (
        "90-day backfill peak over the 30-day peak", "small", 1.2, True)
    assert judge_backfill(1.3).verdict() == "**missed**"
    assert judge_backfill(None).verdict() == "not measured"

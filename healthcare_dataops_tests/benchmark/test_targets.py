"""Which targets a scale is judged on, and the verdicts."""

import pytest

from healthcare_dataops.benchmark.targets import GIB, judge, judge_growth


def _figures(**overrides):
    figures = {
        "cold_failed": 0,
        "cold_seconds": 540.0,
        "cold_peak_memory_bytes": 3 * GIB,
        "ratios": {"wearable_vitals": {"pipeline_over_duckdb": 2.5}},
        "incremental_ratio": 0.08,
        "sensor_tick_seconds": 0.02,
        "drift_report_seconds": 30.0,
    }
    return {**figures, **overrides}


def test_medium_is_judged_on_every_target_and_meets_them():
    targets = judge("medium", _figures())
    assert len(targets) == 7
    assert all(t.met for t in targets), [(t.name, t.measured) for t in targets]


def test_smaller_scales_skip_the_medium_only_limits():
    names = {t.name for t in judge("small", _figures())}
    assert names == {"full graph completes (failed runs)", "wearable_vitals over the DuckDB baseline",
                     "one new day over the 30-day backfill", "drift sensor tick"}


@pytest.mark.parametrize(
    ("overrides", "missed"),
    [
        ({"cold_failed": 1}, "full graph completes (failed runs)"),
        ({"cold_seconds": 601.0}, "full graph, cold"),
        ({"cold_peak_memory_bytes": 4.5 * GIB}, "peak memory, full graph"),
        ({"ratios": {"wearable_vitals": {"pipeline_over_duckdb": 3.2}}}, "wearable_vitals over the DuckDB baseline"),
        ({"incremental_ratio": 0.2}, "one new day over the 30-day backfill"),
        ({"sensor_tick_seconds": 1.5}, "drift sensor tick"),
        ({"drift_report_seconds": 75.0}, "feature_drift_report"),
    ],
)
def test_a_figure_over_its_limit_is_missed(overrides, missed):
    verdicts = {t.name: t.verdict() for t in judge("medium", _figures(**overrides))}
    assert verdicts.pop(missed) == "**missed**"
    assert set(verdicts.values()) == {"met"}


def test_a_figure_not_measured_is_said_so():
    [vitals] = [t for t in judge("small", _figures(ratios={})) if t.name.startswith("wearable_vitals")]
    assert vitals.met is None and vitals.verdict() == "not measured"


def test_growth_is_medium_over_small():
    assert judge_growth(60.0, 660.0).met
    growth = judge_growth(60.0, 780.0)
    assert growth.measured == pytest.approx(13.0) and not growth.met

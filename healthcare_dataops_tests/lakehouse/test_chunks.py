"""How a run's delivery days are cut into chunks, and the line each chunk's commit logs."""

import re

from healthcare_dataops.lakehouse.chunks import ChunkProgress, day_chunks

DAYS = [f"2026-01-0{d}" for d in range(1, 8)]


def test_chunks_are_whole_days_in_order_within_their_weight_and_length():
    weight = dict.fromkeys(DAYS, 10) | {"2026-01-04": 100}
    assert day_chunks(DAYS, weight, max_weight=30, max_days=2) == [
        ["2026-01-01", "2026-01-02"], ["2026-01-03"], ["2026-01-04"], ["2026-01-05", "2026-01-06"], ["2026-01-07"],
    ]
    # A day heavier than the bound is a chunk of its own; days without a weight weigh nothing.
    assert day_chunks(DAYS, {}, max_weight=1, max_days=7) == [DAYS]


def test_each_commit_says_how_far_the_run_got():
    lines: list[str] = []
    progress = ChunkProgress("wearable_readings", chunks=2, days=7, say=lines.append)
    progress.committed(DAYS[:4], "40 rows written")
    progress.committed(DAYS[4:], "70 rows written")
    assert re.fullmatch(r"wearable_readings: delivery days 2026-01-01\.\.\.2026-01-04 committed \(chunk 1 of 2, "
                        r"4 of 7 days\), 40 rows written so far, \d+\.\d s", lines[0])
    assert lines[1].startswith("wearable_readings: delivery days 2026-01-05...2026-01-07 committed (chunk 2 of 2, "
                               "7 of 7 days), 70 rows written so far, ")

"""A Delta table's rows as its checks read them: chunks of days, derived flags, repeated keys."""

from __future__ import annotations

import datetime as dt

import pandas
import pyarrow as pa
from deltalake import write_deltalake

from healthcare_dataops.quality.delta_check_batch import DeltaCheckBatch, DerivedColumn

DAYS = ["2026-01-01", "2026-01-02", "2026-01-03"]


def _table(tmp_path):
    uri = str(tmp_path / "readings")
    for n, day in enumerate(DAYS):  # a file per day, as daily commits leave them
        rows = pa.table({
            "device_id": [f"d{n}", "d9", f"e{n}"],
            "value": [1.0 + n, 2.0, None],
            "delivery_date": [dt.date.fromisoformat(day)] * 3,
        })
        write_deltalake(uri, rows, mode="append", partition_by=["delivery_date"])
    return uri


def test_chunks_bring_the_asked_columns_of_the_runs_days_only(tmp_path, spark):
    uri = _table(tmp_path)
    flag = DerivedColumn(("device_id",), lambda frame: frame["device_id"].where(frame["device_id"] == "d9"))
    batch = DeltaCheckBatch(uri=uri, table_columns=("device_id", "value", "delivery_date"), days=DAYS[1:],
                            day_column="delivery_date", spark=spark, rows_per_day=dict.fromkeys(DAYS, 3),
                            derived={"flag": flag}, chunk_rows=3)
    chunks = list(batch.chunks(["value", "flag", "delivery_date"]))
    assert [len(c) for c in chunks] == [3, 3]  # a day a chunk: three rows each
    whole = pandas.concat(chunks)
    assert list(whole.columns) == ["value", "flag", "delivery_date"]
    assert set(whole["delivery_date"].astype(str)) == set(DAYS[1:])
    assert whole["flag"].dropna().tolist() == ["d9", "d9"]
    assert batch.columns == ("device_id", "value", "delivery_date", "flag")


def test_a_key_repeated_across_files_is_found_by_the_engine(tmp_path, spark):
    uri = _table(tmp_path)
    batch = DeltaCheckBatch(uri=uri, table_columns=("device_id",), days=DAYS, day_column="delivery_date", spark=spark)
    assert batch.duplicate_keys(["device_id"]) == (3, ["d9"])
    assert DeltaCheckBatch(uri=uri, table_columns=(), days=DAYS[:1], day_column="delivery_date",
                           spark=spark).duplicate_keys(["device_id"]) == (0, [])
    # Without an engine (a small table), pandas finds the same.
    assert DeltaCheckBatch(uri=uri, table_columns=("device_id",), days=DAYS, day_column="delivery_date",
                           spark=None).duplicate_keys(["device_id"]) == (3, ["d9"])


def test_a_table_partitioned_by_another_day_is_read_by_its_partitions_holding_the_runs_days(tmp_path):
    uri = str(tmp_path / "readings")
    for delivered in DAYS:  # each delivery brings readings of its own day and a late one of the day before
        day = dt.date.fromisoformat(delivered)
        rows = pa.table({
            "device_id": ["d1", "d2"],
            "measured_date": [day, day - dt.timedelta(days=1)],
            "delivery_date": [day, day],
        })
        write_deltalake(uri, rows, mode="append", partition_by=["measured_date"])
    batch = DeltaCheckBatch(uri=uri, table_columns=("device_id", "measured_date", "delivery_date"), days=DAYS[1:2],
                            day_column="delivery_date", partition_column="measured_date", chunk_rows=2)
    chunks = list(batch.chunks(["device_id", "measured_date", "delivery_date"]))
    rows = pandas.concat(chunks)
    assert len(rows) == 2 and set(rows["delivery_date"].astype(str)) == {DAYS[1]}
    # Only the partitions whose files hold the day: 01-01 (its late reading) and 01-02.
    assert sorted(rows["measured_date"].astype(str)) == ["2026-01-01", "2026-01-02"]
    assert str(chunks[0]["device_id"].dtype) == "category"  # text as categoricals, for GX

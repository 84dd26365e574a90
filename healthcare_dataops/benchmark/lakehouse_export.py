"""The silver tables the two heaviest steps read, copied once to plain Parquet.

Every engine of the comparison then reads the very same files: DuckDB and JVM Spark (which
has no Delta JARs here) cannot read the Delta tables the pipeline wrote, and reading them
through delta-rs would time delta-rs, not the engine.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow.dataset as ds
from deltalake import DeltaTable

from healthcare_dataops.benchmark.engine_timing import VITALS_INPUT
from healthcare_dataops.transforms.features import SILVER_INPUTS


def export_step_inputs(lakehouse: Path, out: Path) -> dict[str, int]:
    """Rows of each table written; streamed, so a large table never sits in memory whole."""
    rows = {}
    for table in (VITALS_INPUT, *SILVER_INPUTS):
        dataset = DeltaTable(str(lakehouse / "silver" / table)).to_pyarrow_dataset()
        ds.write_dataset(dataset, out / table, format="parquet", existing_data_behavior="delete_matching",
                         max_rows_per_file=4_000_000, max_rows_per_group=1_000_000)
        rows[table] = dataset.count_rows()
    return rows

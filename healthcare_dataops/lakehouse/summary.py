"""A plain-text account of what the lakehouse holds: each layer's tables, rows, versions."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
from deltalake import DeltaTable

from healthcare_dataops.resources.lakehouse import LAYERS


def describe_lakehouse(root: str) -> str:
    lines = [f"Lakehouse at {Path(root).resolve()}"]
    for layer in LAYERS:
        folder = Path(root) / layer
        tables = sorted(p for p in folder.iterdir() if (p / "_delta_log").is_dir()) if folder.is_dir() else []
        if not tables:
            continue
        lines.append(f"  {layer}/")
        for path in tables:
            table = DeltaTable(str(path))
            rows = _row_count(table)
            lines.append(f"    {path.name:<32} {rows:>12,} rows   version {table.version()}")
    if len(lines) == 1:
        lines.append("  (empty: materialize the assets first)")
    return "\n".join(lines)


def _row_count(table: DeltaTable) -> int:
    # From the Delta log's file statistics: no data file is read.
    actions = pa.table(table.get_add_actions(flatten=True))
    if actions.num_rows == 0:
        return 0
    return int(pc.sum(actions["num_records"]).as_py() or 0)

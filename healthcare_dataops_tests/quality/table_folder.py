"""A folder of parquet files as a resource: enough of a lakehouse for the check tests."""

from __future__ import annotations

from pathlib import Path

import dagster as dg


class TableFolder(dg.ConfigurableResource):
    root: str

    def path(self, table: str) -> Path:
        return Path(self.root) / f"{table}.parquet"

"""The Delta Lake lakehouse: where each layer's tables live."""

from __future__ import annotations

import dagster as dg

from healthcare_dataops.lakehouse import storage

LAYERS = ("bronze", "silver", "gold")


class LakehouseResource(dg.ConfigurableResource):
    """A lakehouse root (a local folder or ``s3://bucket/prefix``): a Delta table per asset."""

    root: str

    def table_uri(self, layer: str, table: str) -> str:
        if layer not in LAYERS:
            raise ValueError(f"unknown lakehouse layer {layer!r}; expected one of {LAYERS}")
        return f"{self.root.rstrip('/')}/{layer}/{table}"

    def report_uri(self, name: str) -> str:
        """Where rendered reports go, beside the layers: ``<root>/reports/<name>``."""
        return f"{self.root.rstrip('/')}/reports/{name}"

    def staging_uri(self, name: str) -> str:
        """A run's scratch folder beside the layers, ``<root>/_staging/<name>``: what a step
        stages between two engine jobs (rows parsed in Python, rejected records), removed by
        the step once it has committed."""
        return f"{self.root.rstrip('/')}/_staging/{name}"

    def storage_options(self) -> dict[str, str]:
        return storage.storage_options(self.root)

"""The tables, checks and jobs the project defines, as the status readers need them: taken from
the definitions themselves, so a new feed or check is reported without a list to update."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import dagster as dg

FEED_LAYERS = ("bronze", "silver")


@dataclass(frozen=True)
class FeedTable:
    """A daily table of a feed: what its delivery days wrote and quarantined."""

    name: str
    layer: str
    source: str


@dataclass(frozen=True)
class Catalog:
    tables: tuple[FeedTable, ...]
    # Each asset check and whether a failure stops the assets downstream of it.
    checks: tuple[tuple[dg.AssetCheckKey, bool], ...]
    jobs: tuple[str, ...]

    @property
    def sources(self) -> tuple[str, ...]:
        return tuple(sorted({t.source for t in self.tables}))

    def tables_of(self, source: str, layer: str | None = None) -> list[FeedTable]:
        return [t for t in self.tables if t.source == source and (layer is None or t.layer == layer)]


def catalog_of(defs: dg.Definitions) -> Catalog:
    graph = defs.resolve_asset_graph()
    tables = []
    for key in sorted(graph.get_all_asset_keys()):
        node = graph.get(key)
        name = key.to_user_string()
        # Quarantine tables are counted in their table's materialization (rows_quarantined).
        if node.tags.get("layer") in FEED_LAYERS and node.tags.get("source") and not name.endswith("quarantine"):
            tables.append(FeedTable(name, node.tags["layer"], node.tags["source"]))
    checks = tuple(sorted(((k, graph.get_check_spec(k).blocking) for k in graph.asset_check_keys),
                          key=lambda item: item[0].to_user_string()))
    return Catalog(tuple(tables), checks, tuple(sorted(j.name for j in defs.resolve_all_job_defs())))


@cache
def project_catalog() -> Catalog:
    """The project's own definitions, loaded once per process (a few seconds)."""
    from healthcare_dataops.definitions import defs

    return catalog_of(defs)

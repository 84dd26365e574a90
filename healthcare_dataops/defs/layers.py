"""How an asset declares its layer and source, the same way in every folder."""

from __future__ import annotations

import dagster as dg

BRONZE = "bronze"
SILVER = "silver"


def bronze_spec(name: str, *, source: str, description: str, on_engine: bool = False) -> dg.AssetSpec:
    """``on_engine``: its files are read and parsed by the Spark engine, not in Python."""
    return dg.AssetSpec(
        name,
        description=description,
        group_name=BRONZE,
        kinds={"spark" if on_engine else "python", "delta"},
        tags={"layer": BRONZE, "source": source},
    )


def silver_spec(name: str, *, source: str, deps: list[str], description: str) -> dg.AssetSpec:
    return dg.AssetSpec(
        name,
        description=description,
        deps=deps,
        group_name=SILVER,
        kinds={"spark", "delta"},
        tags={"layer": SILVER, "source": source},
    )

"""How an asset declares its layer and source, the same way in every folder."""

from __future__ import annotations

import dagster as dg

BRONZE = "bronze"


def bronze_spec(name: str, *, source: str, description: str) -> dg.AssetSpec:
    return dg.AssetSpec(
        name,
        description=description,
        group_name=BRONZE,
        kinds={"python", "delta"},
        tags={"layer": BRONZE, "source": source},
    )

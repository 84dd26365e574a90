"""How an asset declares its layer and source, the same way in every folder."""

from __future__ import annotations

from typing import Any

import dagster as dg

from healthcare_dataops.lib.automation import every_updated_day
from healthcare_dataops.lib.partitions import delivery_day_partitions
from healthcare_dataops.lib.pools import table_family
from healthcare_dataops.lib.retries import IO_RETRY_POLICY

BRONZE = "bronze"
SILVER = "silver"
GOLD = "gold"


def daily_table_writer(layer: str, source: str) -> dict[str, Any]:
    """What every step that writes a source's daily tables in a layer declares: the delivery
    days it covers, a backfill as one run (each step then chunks its days), retries on
    storage, and the pool of the table family it writes."""
    return {
        "partitions_def": delivery_day_partitions,
        "backfill_policy": dg.BackfillPolicy.single_run(),
        "retry_policy": IO_RETRY_POLICY,
        "pool": table_family(layer, source),
    }


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
        automation_condition=every_updated_day(),
    )

"""Materializing assets through Dagster on a landing zone and lakehouse of a test's own."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import dagster as dg
import pyarrow as pa
from dagster._core.storage.tags import (
    ASSET_PARTITION_RANGE_END_TAG,
    ASSET_PARTITION_RANGE_START_TAG,
)
from deltalake import DeltaTable

from healthcare_dataops import settings
from healthcare_dataops.defs.bronze.ehr import ehr_bronze
from healthcare_dataops.defs.bronze.labs import lab_bronze
from healthcare_dataops.defs.bronze.wearables import wearable_bronze
from healthcare_dataops.resources import (
    KafkaResource,
    LakehouseResource,
    LandingZoneResource,
    MlflowResource,
    PseudonymizationResource,
    SparkResource,
)

BRONZE_ASSETS = [ehr_bronze, lab_bronze, wearable_bronze]


def all_assets() -> list:
    """Every asset and asset check of the project's Definitions, bronze to the newest layer."""
    from healthcare_dataops.definitions import defs

    return [*defs.assets, *defs.asset_checks]


def lakehouse_assets() -> list:
    """The data layers, bronze to gold, with their checks: not the model's assets, which need
    more labelled admissions than a small test landing zone gives, nor the drift report."""
    from healthcare_dataops.definitions import defs

    data = [a for a in defs.assets if not {a.group_names_by_key[k] for k in a.keys} & {"ml", "monitoring"}]
    return [*data, *defs.asset_checks]


def materialize_days(
    assets, first_day: str, last_day: str, *, landing: Path, lakehouse: Path, instance=None,
    run_config: dict | None = None, raise_on_error: bool = True, resources: dict | None = None,
) -> dg.ExecuteInProcessResult:
    """One run over the delivery days first..last, as the CLI's --partition-range runs it;
    ``resources`` replaces any of the local ones (an S3 landing zone, another MLflow store)."""
    return dg.materialize(
        assets,
        resources={
            "landing_zone": LandingZoneResource(root=str(landing)),
            "lakehouse": LakehouseResource(root=str(lakehouse)),
            "spark": SparkResource(),
            "pseudonymization": PseudonymizationResource(),
            "mlflow_tracking": mlflow_resource(lakehouse),
            # The bronze steps of the sources fed by a broker take it; file runs never connect.
            "kafka": KafkaResource(bootstrap_servers=settings.kafka_bootstrap_servers()),
            **(resources or {}),
        },
        tags={ASSET_PARTITION_RANGE_START_TAG: first_day, ASSET_PARTITION_RANGE_END_TAG: last_day},
        instance=instance,
        run_config=run_config,
        raise_on_error=raise_on_error,
    )


def mlflow_resource(lakehouse: Path | str) -> MlflowResource:
    """A sqlite tracking store beside a test's lakehouse (or in a temp folder for S3 ones)."""
    folder = (Path(tempfile.mkdtemp(prefix="mlflow-")) if str(lakehouse).startswith("s3://")
              else Path(lakehouse).parent / "mlflow")
    return MlflowResource(tracking_uri=f"sqlite:///{folder}/mlflow.db", artifact_root=str(folder / "artifacts"))


def model_resources(root: Path) -> dict[str, object]:
    """What the model and monitoring assets need over ``root``/lakehouse: no Spark, no landing."""
    lakehouse = root / "lakehouse"
    return {
        "lakehouse": LakehouseResource(root=str(lakehouse)),
        "mlflow_tracking": mlflow_resource(lakehouse),
        "pseudonymization": PseudonymizationResource(),
    }


def metadata_of(
    result: dg.ExecuteInProcessResult, asset: str, partition: str | None = None
) -> dict[str, object]:
    """The metadata of ``asset``'s materialization (of ``partition``) in ``result``."""
    [event] = [
        e for e in result.get_asset_materialization_events()
        if e.asset_key == dg.AssetKey(asset)
        and (partition is None or e.materialization.partition == partition)
    ]
    return {k: v.value for k, v in event.materialization.metadata.items()}


def metadata_by_partition(
    result: dg.ExecuteInProcessResult, asset: str
) -> dict[str, dict[str, object]]:
    return {
        e.materialization.partition: {k: v.value for k, v in e.materialization.metadata.items()}
        for e in result.get_asset_materialization_events()
        if e.asset_key == dg.AssetKey(asset)
    }


def read_table(lakehouse: Path, layer: str, name: str) -> pa.Table:
    return DeltaTable(str(lakehouse / layer / name)).to_pyarrow_table()


def deliver(source_files: list[Path], landing: Path, source: str, day: str) -> None:
    """Drop files into the landing zone as ``source`` would deliver them on ``day``."""
    folder = landing / source / day
    folder.mkdir(parents=True, exist_ok=True)
    for path in source_files:
        shutil.copyfile(path, folder / path.name)

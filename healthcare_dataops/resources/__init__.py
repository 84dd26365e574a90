"""Typed resources the assets take as parameters, and the one place that builds them.

``S3LandingZoneResource`` is imported on first use (``build_resources`` with an S3 landing
zone, or ``from healthcare_dataops.resources import S3LandingZoneResource``): dagster-aws
brings boto3 and Dagster's components along, which a local deployment never needs.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import dagster as dg

from healthcare_dataops import deployment, settings
from healthcare_dataops.lakehouse import storage
from healthcare_dataops.privacy import keys
from healthcare_dataops.resources.kafka import KafkaResource
from healthcare_dataops.resources.lakehouse import LakehouseResource
from healthcare_dataops.resources.landing_zone import LandingZoneResource
from healthcare_dataops.resources.mlflow_tracking import MlflowResource
from healthcare_dataops.resources.privacy import PseudonymizationResource
from healthcare_dataops.resources.spark import SparkResource

if TYPE_CHECKING:
    from healthcare_dataops.resources.s3_landing_zone import S3LandingZoneResource


def build_resources() -> dict[str, object]:
    """Resources configured from the environment, with local defaults; a missing or wrong
    setting raises ``deployment.ConfigurationError`` naming it, before anything loads."""
    deployment.require_valid()
    return {
        "landing_zone": _landing_zone(),
        "lakehouse": LakehouseResource(
            root=settings.env_or_default(
                settings.LAKEHOUSE_ROOT, settings.default_lakehouse_root()
            )
        ),
        "spark": SparkResource(
            remote=settings.env_or_default(settings.SPARK_REMOTE, settings.DEFAULT_SPARK_REMOTE)
        ),
        "mlflow_tracking": MlflowResource(
            tracking_uri=settings.env_or_default(
                settings.MLFLOW_TRACKING_URI, settings.default_mlflow_tracking_uri()
            ),
            artifact_root=settings.env_or_default(
                settings.MLFLOW_ARTIFACT_ROOT, settings.default_mlflow_artifact_root()
            ),
            ui_url=settings.env_or_default(settings.MLFLOW_UI_URL, settings.DEFAULT_MLFLOW_UI_URL),
        ),
        "pseudonymization": PseudonymizationResource(
            key=settings.env_or_default(keys.PSEUDONYM_KEY_ENV, keys.DEVELOPMENT_KEY)
        ),
        "kafka": KafkaResource(
            bootstrap_servers=settings.env_or_default(
                settings.KAFKA_BOOTSTRAP_SERVERS, settings.DEFAULT_KAFKA_BOOTSTRAP_SERVERS
            )
        ),
    }


def _landing_zone() -> LandingZoneResource:
    root = settings.env_or_default(settings.LANDING_ROOT, settings.default_landing_root())
    if not storage.is_s3(settings.landing_root()):
        return LandingZoneResource(root=root)
    from dagster_aws.s3 import S3Resource

    from healthcare_dataops.resources.s3_landing_zone import S3LandingZoneResource

    # Region, endpoint and keys are the standard AWS variables the lakehouse uses too; keys
    # left unset come from boto3's own chain (an instance or pod role).
    return S3LandingZoneResource(
        root=root,
        s3=S3Resource(
            region_name=_env_or_none(deployment.AWS_REGION),
            endpoint_url=_env_or_none(deployment.AWS_ENDPOINT_URL),
        ),
    )


def _env_or_none(name: str) -> dg.EnvVar | None:
    return dg.EnvVar(name) if os.environ.get(name) else None


def __getattr__(name: str) -> object:
    if name == "S3LandingZoneResource":
        from healthcare_dataops.resources.s3_landing_zone import S3LandingZoneResource

        return S3LandingZoneResource
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "KafkaResource",
    "LakehouseResource",
    "LandingZoneResource",
    "MlflowResource",
    "PseudonymizationResource",
    "S3LandingZoneResource",
    "SparkResource",
    "build_resources",
]

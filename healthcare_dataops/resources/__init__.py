"""Typed resources the assets take as parameters, and the one place that builds them."""

from __future__ import annotations

from healthcare_dataops import settings
from healthcare_dataops.privacy import keys
from healthcare_dataops.resources.lakehouse import LakehouseResource
from healthcare_dataops.resources.landing_zone import LandingZoneResource
from healthcare_dataops.resources.mlflow_tracking import MlflowResource
from healthcare_dataops.resources.privacy import PseudonymizationResource
from healthcare_dataops.resources.spark import SparkResource


def build_resources() -> dict[str, object]:
    """Resources configured from the environment, with local defaults."""
    return {
        "landing_zone": LandingZoneResource(
            root=settings.env_or_default(settings.LANDING_ROOT, settings.default_landing_root())
        ),
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
    }


__all__ = [
    "LakehouseResource",
    "LandingZoneResource",
    "MlflowResource",
    "PseudonymizationResource",
    "SparkResource",
    "build_resources",
]
